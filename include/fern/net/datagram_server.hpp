// DatagramServer: gevent's DatagramServer for C++. It binds a UDP (or Unix datagram) socket and a
// receiver greenlet calls `handler(datagram, from, server)` for every datagram; the handler answers
// with server.send_to(). By default handlers run one after another in the receiver greenlet, which
// keeps datagrams in order and costs no spawn; with options.concurrency = N each datagram is copied
// into a greenlet of its own, at most N at a time (a Pool: the receiver stops reading while full).
// An exception escaping a handler is logged with the sender's address; the server goes on.
//
// Blocking: start() binds and returns at once; serve_forever() parks until stop(). stop(grace)
// stops receiving, waits up to `grace` for handlers still running, then kills them. Use the server
// from the thread (hub) that started it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "fern/base/clock.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/net/address.hpp"
#include "fern/net/socket.hpp"
#include "fern/net/stream_server.hpp"
#include "fern/sync/event.hpp"
#include "fern/sync/pool.hpp"

namespace fern::net {

struct DatagramServerOptions {
  std::size_t max_datagram = 64 * 1024;  // larger datagrams are truncated by the kernel
  std::size_t concurrency = 0;           // 0: handlers run inline, in order; N: N greenlets at most
  bool reuse_port = false;
  ServerLog log = log_to_stderr;
};

class DatagramServer {
 public:
  // `datagram` is valid only during the call.
  using Handler = std::function<void(std::string_view datagram, const Address& from, DatagramServer& server)>;

  DatagramServer(const Address& local, Handler handler, DatagramServerOptions options = {});
  DatagramServer(std::string_view ip, std::uint16_t port, Handler handler,
                 DatagramServerOptions options = {});
  // Serves an already bound datagram socket.
  DatagramServer(Socket socket, Handler handler, DatagramServerOptions options = {});
  DatagramServer(const DatagramServer&) = delete;
  DatagramServer& operator=(const DatagramServer&) = delete;
  ~DatagramServer();

  void start();
  void serve_forever();
  // Returns true when every handler finished within `grace`.
  bool stop(Duration grace = std::chrono::seconds(1));
  void close() { stop(Duration::zero()); }

  // Sends one datagram from the server's socket (parks while the socket buffer is full).
  std::size_t send_to(std::string_view data, const Address& to) { return socket_.send_to(data, to); }

  bool started() const noexcept { return started_; }
  bool closed() const noexcept { return stopped_.is_set(); }
  const Address& address() const noexcept { return bound_; }
  std::uint16_t port() const noexcept { return bound_.port(); }
  Socket& socket() noexcept { return socket_; }

 private:
  void receive_loop();
  void dispatch(std::string_view datagram, const Address& from);
  void run_handler(std::string_view datagram, const Address& from);
  void log(std::string_view line) const { options_.log(line); }

  Address local_;
  Address bound_;
  Handler handler_;
  DatagramServerOptions options_;
  Socket socket_;
  std::vector<char> buffer_;
  std::unique_ptr<Pool> pool_;
  GreenletRef<> receiver_;
  Event stopped_;
  bool started_ = false;
  bool stopping_ = false;
  bool stop_in_progress_ = false;
  bool receiving_ = false;  // the receiver is parked for a datagram, not running a handler
};

}  // namespace fern::net
