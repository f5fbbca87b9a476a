#include "fern/http/server.hpp"

#include <utility>

#include "fern/base/error.hpp"
#include "server_connection.hpp"

namespace fern::http {

Server::Server(const net::Address& local, Handler handler, ServerOptions options)
    : Server(local,
             StreamingHandler([h = std::move(handler)](ServerRequest& request, ResponseWriter& writer) {
               writer.send(h(request));
             }),
             std::move(options)) {}

Server::Server(const net::Address& local, StreamingHandler handler, ServerOptions options)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      stream_(
          local,
          [this](net::Socket socket, const net::Address& peer) { serve_connection(std::move(socket), peer); },
          options_.stream) {
  if (!handler_) throw_error(Errc::invalid_argument, "http: Server needs a handler");
  if (options_.receive_buffer == 0) throw_error(Errc::invalid_argument, "http: receive_buffer is 0");
}

Server::~Server() = default;

bool Server::stop(Duration grace) {
  stopping_ = true;
  stream_.stop_accepting();
  connections_.for_each([](detail::ServerConnection& c) { c.close_if_idle(); });
  return stream_.stop(grace);
}

void Server::serve_connection(net::Socket socket, const net::Address& peer) {
  net::TlsSocket tls;
  if (options_.tls) {
    std::error_code ec;
    tls = net::TlsSocket::accept(std::move(socket), *options_.tls, options_.header_timeout, ec);
    if (ec) return;  // a scanner, or a plain-HTTP client on the HTTPS port: nobody to answer
  }
  detail::ServerConnection connection(*this, std::move(socket), std::move(tls), peer);
  if (options_.max_active_connections != 0 && active_ >= options_.max_active_connections) {
    ++busy_rejections_;
    connection.answer_busy();
    return;
  }
  ++active_;
  struct Leave {
    std::size_t& active;
    ~Leave() { --active; }
  } leave{active_};
  connection.run();
}

}  // namespace fern::http
