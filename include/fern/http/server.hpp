// Server: an HTTP/1.1 server on a StreamServer: a greenlet per connection runs the sans-IO
// RequestParser over its socket and calls the handler once per request, in order. A handler either
// returns a ServerResponse or streams through a ResponseWriter (see server_response.hpp):
//
//   fern::http::Server server(fern::net::Address::ipv4_loopback(8080),
//       [](fern::http::ServerRequest& req) { return fern::http::ServerResponse::text("hello"); });
//   server.serve_forever();
//
// Keep-alive and pipelining: several requests read at once are answered in order and their
// responses leave in one send, when no complete request is left in what was read. Request bodies
// (Content-Length or chunked, "Expect: 100-continue") are read on demand; limits come from
// ParserLimits: a head too large is answered 431 (414 for the request line), a body over max_body
// 413, malformed input 400, each with "Connection: close". Against slow clients: the whole head of
// a request must arrive within header_timeout (a client trickling header bytes is dropped), an idle
// keep-alive connection is closed after idle_timeout, and every other read or write waits at most
// read_timeout. A handler that throws gets a 500 (if nothing was sent yet) and the error is logged;
// the server goes on.
//
// Blocking: as StreamServer (start() returns at once, serve_forever() parks until stop()). stop()
// closes idle keep-alive connections at once, lets requests in progress finish within the grace
// (their responses say "Connection: close"), then kills what is left. One thread (hub) only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "fern/base/clock.hpp"
#include "fern/base/intrusive_list.hpp"
#include "fern/http/date.hpp"
#include "fern/http/message_parser.hpp"
#include "fern/http/server_request.hpp"
#include "fern/http/server_response.hpp"
#include "fern/net/address.hpp"
#include "fern/net/stream_server.hpp"
#include "fern/net/tls_context.hpp"

namespace fern::http {

struct ServerOptions {
  ParserLimits limits;                                 // request line 414, head 431, body 413 (max_body)
  Duration header_timeout = std::chrono::seconds(10);  // from a request's first byte to its last header
  Duration idle_timeout = std::chrono::seconds(60);    // a keep-alive connection waiting for a request
  Duration read_timeout = std::chrono::seconds(60);    // each wait for body bytes or to send
  std::size_t max_requests_per_connection = 0;         // 0: unlimited
  // Connections served at once; one past it is answered 503 with Retry-After and closed, as a busy
  // nginx answers past limit_conn, instead of waiting unseen in the backlog. 0: no limit (then
  // stream.max_connections, if set, leaves the excess in the kernel's backlog).
  std::size_t max_active_connections = 0;
  std::size_t receive_buffer = 16 * 1024;  // bytes per recv
  std::string server_name = "fern";        // the Server field; empty: none
  net::StreamServerOptions stream;         // backlog, max_connections, reuse_port, log
  // HTTPS: a server context (certificate and key). Each connection's handshake runs in its own
  // greenlet within header_timeout; a client that fails it is dropped without a log line.
  std::optional<net::TlsContext> tls;
};

namespace detail {
class ServerConnection;
}

class Server {
 public:
  using Handler = std::function<ServerResponse(ServerRequest&)>;
  using StreamingHandler = std::function<void(ServerRequest&, ResponseWriter&)>;

  Server(const net::Address& local, Handler handler, ServerOptions options = {});
  Server(const net::Address& local, StreamingHandler handler, ServerOptions options = {});
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();

  void start() { stream_.start(); }
  void serve_forever() { stream_.serve_forever(); }
  // Returns true when every connection finished within `grace`.
  bool stop(Duration grace = std::chrono::seconds(5));
  void close() { stop(Duration::zero()); }

  bool stopping() const noexcept { return stopping_; }
  const net::Address& address() const noexcept { return stream_.address(); }
  std::uint16_t port() const noexcept { return stream_.port(); }
  std::size_t connection_count() const noexcept { return stream_.connection_count(); }
  // Connections answered 503 because max_active_connections were being served.
  std::uint64_t busy_rejections() const noexcept { return busy_rejections_; }
  const ServerOptions& options() const noexcept { return options_; }

 private:
  friend class detail::ServerConnection;
  void serve_connection(net::Socket socket, const net::Address& peer);
  void log(std::string_view line) const { stream_.log(line); }

  ServerOptions options_;
  StreamingHandler handler_;
  HttpDateCache date_;
  IntrusiveList<detail::ServerConnection> connections_;
  std::size_t active_ = 0;  // connections being served (not those answered 503)
  std::uint64_t busy_rejections_ = 0;
  bool stopping_ = false;
  net::StreamServer stream_;  // last: its handlers use the members above
};

}  // namespace fern::http
