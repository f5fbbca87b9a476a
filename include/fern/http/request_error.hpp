// RequestError: what a handler throws to answer a request with a client error instead of a 500:
// http::Server sends `status` with the message as a text/plain body (when no response was started)
// and keeps the connection, and logs nothing, since the client is at fault. The Router throws it
// for 404 and 405, read_json for a body that is not JSON.
#pragma once

#include <stdexcept>
#include <string>

namespace fern::http {

class RequestError : public std::runtime_error {
 public:
  RequestError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const noexcept { return status_; }

 private:
  int status_;
};

}  // namespace fern::http
