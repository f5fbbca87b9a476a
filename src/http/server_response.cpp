#include "fern/http/server_response.hpp"

#include "fern/base/error.hpp"
#include "fern/http/message.hpp"
#include "fern/http/serializer.hpp"
#include "server_connection.hpp"

namespace fern::http {
namespace {

// Larger writes skip the output buffer (after flushing it) instead of being copied into it.
constexpr std::size_t kDirectWrite = 16 * 1024;

}  // namespace

void ResponseWriter::write_head(int status, Headers headers, std::optional<std::uint64_t> content_length) {
  if (head_sent_) throw_error(Errc::invalid_argument, "http: write_head called twice");
  std::vector<HeaderField>& fields = connection_->fields();
  fields.assign(headers.begin(), headers.end());
  start(status, content_length);
}

void ResponseWriter::start(int status, std::optional<std::uint64_t> content_length) {
  detail::ServerConnection& c = *connection_;
  const bool forbids_body = status_forbids_body(status);
  const bool length_unknown = !content_length && !forbids_body;
  const bool wants_close = close_after_ || Headers(c.fields()).has_token("connection", "close");
  const bool close = c.add_server_fields(wants_close, length_unknown);
  ResponseStart start{.status = status, .headers = Headers(c.fields())};
  if (forbids_body) {
    start.body = status == 304 && content_length ? BodyKind::length : BodyKind::none;
    start.content_length = content_length.value_or(0);
  } else if (content_length) {
    start.body = BodyKind::length;
    start.content_length = *content_length;
  } else {
    start.body = c.http10() ? BodyKind::until_close : BodyKind::chunked;
  }
  write_response_head(c.out(), start);  // throws before appending anything on a bad field
  status_ = status;
  head_sent_ = true;
  close_after_ = close;
  no_body_ = forbids_body || c.head_request();
  chunked_ = start.body == BodyKind::chunked;
  if (start.body == BodyKind::length && !no_body_) remaining_ = start.content_length;
}

void ResponseWriter::check_length(std::size_t more) {
  if (!remaining_) return;
  if (more > *remaining_)
    throw_error(Errc::invalid_argument, "http: response body longer than its Content-Length");
  *remaining_ -= more;
}

void ResponseWriter::write(std::string_view data) {
  if (!head_sent_ || finished_) throw_error(Errc::invalid_argument, "http: write outside a response body");
  if (data.empty() || no_body_) return;
  check_length(data.size());
  detail::ServerConnection& c = *connection_;
  std::string& out = c.out();
  if (data.size() >= kDirectWrite) {
    if (chunked_) write_chunk_header(out, data.size());
    c.send_direct(data);
    if (chunked_) out += kCrlf;
    return;
  }
  if (chunked_) {
    write_chunk(out, data);
  } else {
    out += data;
  }
  c.send_buffered(false);
}

void ResponseWriter::flush() {
  if (!head_sent_) throw_error(Errc::invalid_argument, "http: flush before write_head");
  connection_->send_buffered(true);
}

void ResponseWriter::finish(Headers trailers) {
  if (finished_) return;
  if (!head_sent_) write_head(200, {}, 0);
  if (chunked_ && !no_body_) write_last_chunk(connection_->out(), trailers);
  // A body shorter than announced can only be reported by closing the connection.
  if (remaining_ && *remaining_ > 0) close_after_ = true;
  finished_ = true;
}

void ResponseWriter::send(const ServerResponse& response) {
  if (head_sent_) throw_error(Errc::invalid_argument, "http: a response was already started");
  std::vector<HeaderField>& fields = connection_->fields();
  fields.clear();
  if (!response.content_type.empty()) fields.push_back({"Content-Type", response.content_type});
  for (const auto& [name, value] : response.headers) fields.push_back({name, value});
  const bool forbids_body = status_forbids_body(response.status);
  if (forbids_body && !response.body.empty())
    throw_error(Errc::invalid_argument, "http: 1xx, 204 and 304 responses have no body");
  start(response.status, forbids_body ? std::nullopt : std::optional<std::uint64_t>(response.body.size()));
  if (!no_body_) connection_->out() += response.body;
  remaining_.reset();
  finished_ = true;
  connection_->send_buffered(false);
}

void ResponseWriter::send(int status, std::string_view body, std::string_view content_type) {
  if (head_sent_) throw_error(Errc::invalid_argument, "http: a response was already started");
  std::vector<HeaderField>& fields = connection_->fields();
  fields.clear();
  if (!content_type.empty()) fields.push_back({"Content-Type", content_type});
  const bool forbids_body = status_forbids_body(status);
  start(status, forbids_body ? std::nullopt : std::optional<std::uint64_t>(body.size()));
  if (!no_body_) write(body);
  finish();
}

}  // namespace fern::http
