#include "fern/http/server_request.hpp"

#include "fern/base/error.hpp"
#include "server_connection.hpp"

namespace fern::http {

std::string_view ServerRequest::query() const noexcept {
  const std::size_t mark = target().find('?');
  return mark == std::string_view::npos ? std::string_view() : target().substr(mark + 1);
}

bool ServerRequest::keep_alive() const noexcept { return connection_->parser().keep_alive(); }

BodyKind ServerRequest::body_kind() const noexcept { return connection_->parser().body_kind(); }

std::optional<std::uint64_t> ServerRequest::content_length() const noexcept {
  return connection_->parser().content_length();
}

bool ServerRequest::body_complete() const noexcept { return connection_->body_complete(); }

std::string_view ServerRequest::read_some() { return connection_->read_body_some(); }

std::string ServerRequest::read_body(std::size_t max_size) {
  std::string body;
  if (auto length = content_length(); length && *length > max_size) {
    connection_->body_limit_exceeded();
    throw_error(Errc::limit_exceeded, "http: request body larger than the handler accepts");
  }
  for (std::string_view piece = read_some(); !piece.empty(); piece = read_some()) {
    if (piece.size() > max_size - body.size()) {
      connection_->body_limit_exceeded();
      throw_error(Errc::limit_exceeded, "http: request body larger than the handler accepts");
    }
    body += piece;
  }
  return body;
}

}  // namespace fern::http
