// JSON bodies for http::Server handlers, with nlohmann::json (Debian's nlohmann-json3-dev; header
// only, so only code that includes this header needs it).
//
//   routes.post("/items", [](http::ServerRequest& req, const http::RouteParams&) {
//     nlohmann::json item = http::read_json(req);
//     return http::json_response({{"id", store(item)}}, 201);
//   });
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

#include "fern/http/request_error.hpp"
#include "fern/http/server_request.hpp"
#include "fern/http/server_response.hpp"

namespace fern::http {

// A response whose body is `value` serialised, with Content-Type application/json.
inline ServerResponse json_response(const nlohmann::json& value, int status = 200) {
  return {status, value.dump(), "application/json", {}};
}

// The request body parsed as JSON. RequestError 400 when it is not valid JSON; a body over `max_size`
// is answered 413 by the server (Errc::limit_exceeded from read_body).
inline nlohmann::json read_json(ServerRequest& request, std::size_t max_size = 1 << 20) {
  std::string body = request.read_body(max_size);
  nlohmann::json value = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) throw RequestError(400, "the body is not valid JSON");
  return value;
}

}  // namespace fern::http
