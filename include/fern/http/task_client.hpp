// TaskClient: the HTTP client's task form. The requests a Client makes, from an aio task:
//
//   fern::http::TaskClient http(client);
//   fern::http::ClientResponse r = co_await http.get("http://127.0.0.1:8080/");
//
// A view of a Client (which must outlive it): tasks and greenlets share its connection pool, its
// timeouts and its retry rules (a request is resent only when it provably never reached the
// server). Each request runs on a carrier greenlet (fern/aio/bridge.hpp). A streamed response
// (open) is read in one call([](Client& c) { ... }) so its connection stays with one greenlet.
// Build a ClientRequest into a local before awaiting it: g++ 12 destroys an aggregate temporary
// made inside a co_await expression twice (docs/design/aio.md).
#pragma once

#include "fern/aio/bridge.hpp"
#include "fern/http/client.hpp"

namespace fern::http {

class TaskClient : public aio::Bridge<Client> {
 public:
  using aio::Bridge<Client>::Bridge;

  FERN_AIO_FORWARD(get)
  FERN_AIO_FORWARD(head)
  FERN_AIO_FORWARD(post)
  FERN_AIO_FORWARD(request)
};

}  // namespace fern::http
