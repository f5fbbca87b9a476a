#include "fern/http/debug_server.hpp"

#include "fern/hub/run_info.hpp"
#include "fern/hub/stats.hpp"

namespace fern {

http::ServerResponse debug_response(http::ServerRequest& request) {
  if (request.method() != "GET" && request.method() != "HEAD") {
    http::ServerResponse r = http::ServerResponse::text("only GET\n", 405);
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  if (request.path() == "/debug/greenlets") return http::ServerResponse::text(format_run_info(run_info()));
  if (request.path() == "/metrics") {
    // The exposition format's own content type, so Prometheus knows the version it reads.
    return {200, format_prometheus(stats()), "text/plain; version=0.0.4; charset=utf-8", {}};
  }
  return http::ServerResponse::text("not found: try /debug/greenlets or /metrics\n", 404);
}

std::unique_ptr<http::Server> serve_debug(const net::Address& address) {
  auto server = std::make_unique<http::Server>(address, http::Server::Handler(&debug_response));
  server->start();
  return server;
}

}  // namespace fern
