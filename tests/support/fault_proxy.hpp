// FaultProxy: a TCP proxy on 127.0.0.1 that stands between a client under test and a real server and
// breaks the stream on command, so tests can show how a client behaves when the network misbehaves
// at a chosen byte: delayed or throttled, held mid-frame, closed or reset mid-reply, swallowed, or
// refused. Without faults it forwards every byte unchanged, so the same client code talks to the real
// server through it.
//
// It runs as fern greenlets on the hub of the thread that made it (an acceptor, and two pumps per
// connection, one per direction); use it from that thread only. Faults can be set and cleared at any
// time, also while connections are live: each pump looks at the current faults before forwarding
// every piece of data it has read.
//
// Byte-count triggers (stall_after, cut_after, reset_after) count per connection and per direction,
// from the moment the fault is set (or from the connection's start, for later connections): "after N
// bytes" means each connection forwards at most N more bytes in that direction, and the fault acts
// when a byte beyond those N arrives at the proxy. So cut_after(downstream, 0) lets a request reach
// the server and cuts the connection as the reply starts, without a single reply byte reaching the
// client. One trigger per direction at a time: setting one replaces the previous.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fern/base/clock.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/net/address.hpp"
#include "fern/net/socket.hpp"
#include "fern/sync/event.hpp"

namespace fern_test {

// upstream: client to server; downstream: server to client.
enum class Direction { upstream = 0, downstream = 1 };

class FaultProxy {
 public:
  // Listens at once on 127.0.0.1 with a port the kernel picks. Each accepted connection is joined to
  // a new connection to upstream_host:upstream_port (a name or a numeric address).
  FaultProxy(std::string upstream_host, std::uint16_t upstream_port);
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;
  // Stops listening and closes every connection (FIN on both sides).
  ~FaultProxy();

  std::uint16_t port() const noexcept { return address_.port(); }
  const fern::net::Address& address() const noexcept { return address_; }
  std::string host() const { return address_.host(); }

  // --- faults that shape the stream without breaking it
  // Each piece of data waits `delay` before it is forwarded (per piece, not per byte, so a large
  // write arriving in one read is delayed once). Zero: none.
  void set_latency(Direction direction, fern::Duration delay);
  // At most `bytes_per_second` forwarded in the direction, per connection. Zero: unlimited.
  void set_bandwidth(Direction direction, std::size_t bytes_per_second);

  // --- byte-count triggers (see the header comment for how bytes are counted)
  // Holds every byte past `bytes` (the connection stays open, the bytes are kept) until clear() or
  // another trigger for the direction: a peer that stops mid-frame, or a network that stops moving.
  void stall_after(Direction direction, std::size_t bytes);
  void stall(Direction direction) { stall_after(direction, 0); }
  // Closes both sockets with a normal FIN once `bytes` went through: a peer or middlebox hanging up.
  void cut_after(Direction direction, std::size_t bytes);
  // Closes both sockets with RST (SO_LINGER {1, 0}) once `bytes` went through: a crashed peer or a
  // firewall; bytes the proxy had not yet sent are dropped with the connection.
  void reset_after(Direction direction, std::size_t bytes);

  // --- whole-connection faults
  // Resets every live connection now (RST to the client and to the server).
  void reset_all();
  // Closes every live connection now (FIN to both sides).
  void close_all();
  // While on, live connections read and drop whatever arrives from either side, and new connections
  // are accepted but never joined to the server: they read and drop what the client sends and never
  // answer. Turning it off resumes forwarding on live connections; what was dropped stays lost.
  void set_black_hole(bool on);
  // While on, every new connection is closed as soon as it is accepted (the client sees the
  // connection established, then end of stream). Live connections are left alone.
  void set_refuse(bool on);

  // Back to a clean pass-through: every fault off, stalled bytes flow again. Connections already
  // closed or reset stay so; connections accepted in black-hole mode stay black holes.
  void clear();

  // --- counters (since construction)
  // Connections the listener accepted, refused ones included.
  std::uint64_t connections_accepted() const noexcept { return accepted_; }
  // Connections with at least one pump still running.
  std::size_t live_connections() const noexcept { return links_.size(); }
  // Bytes written to the other side in the direction.
  std::uint64_t bytes_forwarded(Direction direction) const noexcept { return forwarded_[index(direction)]; }
  // Bytes read and dropped by the black hole in the direction.
  std::uint64_t bytes_dropped(Direction direction) const noexcept { return dropped_[index(direction)]; }

 private:
  struct Link;
  // What happens to a direction's stream once its byte budget is spent (see stall_after, ...).
  enum class Trigger { none, stall, cut, reset };
  struct Faults {
    fern::Duration latency = fern::Duration::zero();
    std::size_t bytes_per_second = 0;
    Trigger trigger = Trigger::none;
    std::size_t trigger_after = 0;
    // Bumped each time a trigger is set, so every pump restarts its count of bytes.
    std::uint64_t epoch = 0;
  };
  // One direction of one connection: its place in the byte count of the current trigger.
  struct PumpState {
    std::uint64_t epoch = 0;
    std::size_t since_epoch = 0;
  };

  static constexpr std::size_t index(Direction d) noexcept { return static_cast<std::size_t>(d); }

  void accept_loop();
  // Starts serving an accepted connection.
  void admit(fern::net::Socket client);
  void serve(std::shared_ptr<Link> link);
  void swallow(Link& link);
  void pump(Link& link, Direction direction);
  void pass_end_of_stream(Link& link, Direction direction);
  // Forwards `data` subject to the faults; false when the connection ended (a trigger or an error).
  bool forward(Link& link, Direction direction, PumpState& state, const char* data, std::size_t size);
  bool send_shaped(Link& link, Direction direction, const char* data, std::size_t size);
  // The most bytes read or sent at once: under a bandwidth cap, small pieces with pauses between.
  std::size_t piece_size(Direction direction) const noexcept;
  void set_trigger(Direction direction, Trigger trigger, std::size_t bytes);
  // Wakes pumps held by a stall so they look at the faults again.
  void faults_changed();
  // Closes both sockets of `link` (with RST when `reset`); idempotent.
  void end(Link& link, bool reset) noexcept;
  void forget(const Link& link) noexcept;

  std::string upstream_host_;
  std::uint16_t upstream_port_;
  fern::net::Socket listener_;
  fern::net::Address address_;
  fern::GreenletRef<> acceptor_;
  std::vector<std::shared_ptr<Link>> links_;
  Faults faults_[2];
  bool black_hole_ = false;
  bool refuse_ = false;
  fern::Event changed_;
  std::uint64_t accepted_ = 0;
  std::uint64_t forwarded_[2] = {0, 0};
  std::uint64_t dropped_[2] = {0, 0};
};

}  // namespace fern_test
