// serve_debug: a running program's own introspection over HTTP, on fern's HTTP server (Go's
// net/http/pprof and expvar; gevent's backdoor, read-only):
//   GET /debug/greenlets   the run-info tree of the hub (text/plain, as format_run_info prints it)
//   GET /metrics           the hub's stats in Prometheus' text format
// The server runs in greenlets of the calling thread's hub and describes that hub; anything else is
// 404, any method but GET or HEAD 405. Bind it to loopback unless the network is trusted: it tells
// whoever asks what every greenlet is doing and where it was spawned.
#pragma once

#include <memory>

#include "fern/http/server.hpp"
#include "fern/net/address.hpp"

namespace fern {

// Starts the endpoint on `address` (port 0: any free port; see Server::port()) and returns the
// started server; stop or destroy it to end it.
std::unique_ptr<http::Server> serve_debug(const net::Address& address);

// The handler itself, to mount the two paths in a program's own http::Server.
http::ServerResponse debug_response(http::ServerRequest& request);

}  // namespace fern
