// Connection: one AMQP 0-9-1 connection to a RabbitMQ broker, carrying any number of Channels,
// each usable from its own greenlet. The constructor connects (TCP, TLS when asked), runs the
// handshake (PLAIN login, tune of frame_max / channel_max / heartbeat, vhost open) and starts the
// connection's reader greenlet.
//
// Design (see docs/design/amqp_client.md):
//   - one reader greenlet owns the socket's reading: it parses frames in place and dispatches them
//     by channel (RPC replies to the waiting caller, deliveries to consumer queues, confirms to the
//     channel's tracker, returns to the handler);
//   - one writer greenlet sends the shared output buffer: everything callers queue in one turn of
//     the hub goes out in one send, and a message's method + header + body frames are appended in
//     one piece, so they are never interleaved with another message's;
//   - heartbeats run on hub timers: the writer sends one after interval/2 of output silence, the
//     reader declares the broker dead after two intervals without a byte (Errc::timed_out);
//   - connection.blocked parks publishers (no error) until connection.unblocked.
//
// Blocking: the constructor parks until the handshake ends (Options::connect_timeout); channel()
// parks for channel.open-ok; close() parks for close-ok (bounded by rpc_timeout). Failures are
// std::system_error: connect / TLS errors, ConnectionError when the broker refuses the login or
// closes the connection (its reply code and text), Errc::protocol_error for malformed frames,
// Errc::timed_out for a heartbeat timeout, Errc::unexpected_eof when the socket ends. A lost
// connection fails every channel with the same error; it does not reconnect.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "fern/clients/amqp/channel.hpp"
#include "fern/clients/amqp/error.hpp"
#include "fern/clients/amqp/options.hpp"
#include "fern/clients/amqp/proto/field_table.hpp"

namespace fern::amqp {

namespace detail {
class ConnectionCore;
}

// Counters of what a connection did, for tests and benchmarks.
struct ConnectionStats {
  std::uint64_t frames_sent = 0;
  std::uint64_t frames_received = 0;
  std::uint64_t sends = 0;  // write calls on the transport
  std::uint64_t recvs = 0;  // read calls on the transport
  std::uint64_t heartbeats_sent = 0;
  std::uint64_t heartbeats_received = 0;
  std::uint64_t blocked = 0;  // connection.blocked notifications
};

class Connection {
 public:
  explicit Connection(Options options = {});
  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  // Closes without waiting (see abort()) if still open; never blocks.
  ~Connection();

  // Opens a new channel (the lowest free id) and waits for channel.open-ok.
  Channel channel();

  // connection.close (200) and waits for close-ok; every channel ends. Idempotent.
  void close();
  // Drops the socket at once, failing every channel with Errc::closed. Never blocks.
  void abort() noexcept;

  bool is_open() const noexcept;
  // Whether the broker has blocked publishing (connection.blocked without unblocked yet).
  bool blocked() const noexcept;
  // Why the connection ended: the broker's close reason, when it closed it.
  std::optional<CloseReason> close_reason() const;
  // The error that ended the connection, as it is thrown to callers (null while open).
  std::exception_ptr error() const;

  // What the handshake settled.
  std::uint32_t frame_max() const noexcept;
  std::uint16_t channel_max() const noexcept;
  std::chrono::seconds heartbeat() const noexcept;
  const FieldTable& server_properties() const noexcept;
  const Options& options() const noexcept;
  ConnectionStats stats() const noexcept;

  detail::ConnectionCore* core() const noexcept { return core_.get(); }

 private:
  std::shared_ptr<detail::ConnectionCore> core_;
};

}  // namespace fern::amqp
