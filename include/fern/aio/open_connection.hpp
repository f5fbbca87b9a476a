// open_connection and Server: asyncio's streams for tasks, with DNS and TLS.
//
//   aio::Stream s = co_await aio::open_connection("example.org", 443, {.tls = &ctx});
//   co_await s.write("GET / HTTP/1.0\r\nHost: example.org\r\n\r\n");
//   std::string status = co_await s.read_line();
//
//   aio::Server server(net::Address::ipv4_loopback(0), [](aio::Stream s, net::Address peer) -> Task<void> {
//     while (std::string line = co_await s.read_line(); !line.empty()) co_await s.write(line);
//   });
//   server.start();  // a task per connection, on this thread's hub
//
// Name resolution, the connect and the TLS handshake run in a greenlet (aio::in_greenlet, through
// fern::net's resolver and create_connection), once per connection; after that a plain TCP stream
// reads and writes with the fd awaits. A handler task that throws is logged with its peer and ends
// only its connection; a peer's reset is an ordinary end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fern/aio/spawn.hpp"
#include "fern/aio/stream.hpp"
#include "fern/aio/task.hpp"
#include "fern/base/clock.hpp"
#include "fern/net/address.hpp"
#include "fern/net/socket.hpp"
#include "fern/net/stream_server.hpp"
#include "fern/net/tls_context.hpp"

namespace fern::aio {

struct OpenOptions {
  Duration timeout = kForever;           // resolving, connecting and the TLS handshake together
  const net::TlsContext* tls = nullptr;  // a client context: TLS with SNI and verification
  std::size_t buffer_size = 16 * 1024;
};

Task<Stream> open_connection(std::string host, std::uint16_t port, OpenOptions options = {});

struct ServerOptions {
  const net::TlsContext* tls = nullptr;  // a server context: each connection's handshake first
  Duration handshake_timeout = std::chrono::seconds(10);
  std::size_t buffer_size = 16 * 1024;
  net::ServerLog log = net::log_to_stderr;
};

class Server {
 public:
  using Handler = std::function<Task<void>(Stream, net::Address)>;

  Server(const net::Address& local, Handler handler, ServerOptions options = {});
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  // Closes the listener and cancels the acceptor and every handler still running.
  ~Server();

  // Binds, listens and spawns the acceptor task. Throws std::system_error when it cannot bind.
  void start();
  // Stops accepting and cancels the running handlers (they unwind; their streams close).
  void close();
  std::uint16_t port() const noexcept { return state_->bound.port(); }
  const net::Address& address() const noexcept { return state_->bound; }
  // Handler tasks running now.
  std::size_t connection_count() const;

 private:
  // What the acceptor and the handler tasks use. They share it rather than point at the Server: a
  // cancelled task resumes once more to unwind, possibly after the Server is gone.
  struct State {
    net::Address local;
    net::Address bound;
    Handler handler;
    ServerOptions options;
    net::Socket listener;
    std::vector<TaskHandle<>> handlers;
  };
  static Task<void> accept_loop(std::shared_ptr<State> state);
  static Task<void> serve(std::shared_ptr<State> state, net::Socket socket, net::Address peer);

  std::shared_ptr<State> state_;
  TaskHandle<> acceptor_;
};

}  // namespace fern::aio
