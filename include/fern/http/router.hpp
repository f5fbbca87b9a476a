// Router: http::Server's handler chosen by method and path. Patterns are literal segments and
// captures: "/users/{id}" matches "/users/42" with id = "42"; a last segment "{rest...}" takes the
// rest of the path, slashes included. Captures are percent-decoded. Routes are tried in the order
// they were added; a literal route added first wins over a capture ("/users/me" before
// "/users/{id}").
//
//   http::Router routes;
//   routes.get("/users/{id}", [](http::ServerRequest&, const http::RouteParams& p) {
//     return http::ServerResponse::text("user " + std::string(p["id"]));
//   });
//   http::Server server(address, routes);
//
// A path no route matches is answered 404; a path matched only for other methods 405 with an Allow
// field. HEAD is served by the GET route when there is no HEAD route of its own.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fern/http/server_request.hpp"
#include "fern/http/server_response.hpp"

namespace fern::http {

class RouteParams {
 public:
  std::optional<std::string_view> get(std::string_view name) const noexcept;
  // The capture `name`; std::out_of_range when the route has none of that name.
  std::string_view operator[](std::string_view name) const;
  void add(std::string name, std::string value) { values_.emplace_back(std::move(name), std::move(value)); }

 private:
  std::vector<std::pair<std::string, std::string>> values_;
};

class Router {
 public:
  using RouteHandler = std::function<ServerResponse(ServerRequest&, const RouteParams&)>;

  // Adds a route; std::invalid_argument for a pattern that does not start with '/' or has a capture
  // that is not a whole segment.
  Router& add(std::string_view method, std::string_view pattern, RouteHandler handler);
  Router& get(std::string_view pattern, RouteHandler handler) {
    return add("GET", pattern, std::move(handler));
  }
  Router& post(std::string_view pattern, RouteHandler handler) {
    return add("POST", pattern, std::move(handler));
  }
  Router& put(std::string_view pattern, RouteHandler handler) {
    return add("PUT", pattern, std::move(handler));
  }
  Router& patch(std::string_view pattern, RouteHandler handler) {
    return add("PATCH", pattern, std::move(handler));
  }
  Router& remove(std::string_view pattern, RouteHandler handler) {
    return add("DELETE", pattern, std::move(handler));
  }

  // Serves one request: the matching route's response, or RequestError 404 / 405.
  ServerResponse operator()(ServerRequest& request) const;

 private:
  struct Segment {
    std::string text;  // the literal, or the capture's name
    bool capture = false;
    bool rest = false;  // "{name...}": the rest of the path
  };
  struct Route {
    std::string method;
    std::vector<Segment> segments;
    RouteHandler handler;
  };
  static bool match(const Route& route, std::string_view path, RouteParams& params);

  std::vector<Route> routes_;
};

}  // namespace fern::http
