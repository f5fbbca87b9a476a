// ResponseWriter and ServerResponse: how a server handler answers. A handler either returns a
// ServerResponse (status, fields, a body held in memory) or streams through the ResponseWriter the
// server hands it:
//
//   w.write_head(200, {{"Content-Type", "text/plain"}});  // no length: chunked (HTTP/1.0: until close)
//   w.write("partial ");  w.flush();  w.write("rest");
//   w.finish();                                            // the last chunk (and trailers)
//
// The server adds Date, Server, and Connection when needed; the serializer writes the framing
// (Content-Length or Transfer-Encoding), so a caller never sets those. Writes are buffered per
// connection: responses to pipelined requests leave in one send once the requests read so far are
// answered; write() sends when the buffer passes 64 KiB, flush() at once. A response to HEAD gets
// its head only. Sending parks the handler's greenlet while the client's window is full (bounded by
// ServerOptions::read_timeout); a client that went away makes write()/flush() throw
// std::system_error, which ends the handler quietly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fern/http/headers.hpp"

namespace fern::http {

namespace detail {
class ServerConnection;
}

struct ServerResponse {
  int status = 200;
  std::string body;
  std::string content_type;  // empty: no Content-Type field
  std::vector<std::pair<std::string, std::string>> headers;

  static ServerResponse text(std::string body, int status = 200) {
    return {status, std::move(body), "text/plain", {}};
  }
};

class ResponseWriter {
 public:
  ResponseWriter(const ResponseWriter&) = delete;
  ResponseWriter& operator=(const ResponseWriter&) = delete;

  // Starts the response. `content_length`: the exact body size that follows, or nullopt when it is
  // not known (chunked; for an HTTP/1.0 client the body ends when the connection closes). Throws
  // std::system_error (Errc::invalid_argument) for a bad status or field, or if already started.
  void write_head(int status, Headers headers = {},
                  std::optional<std::uint64_t> content_length = std::nullopt);
  // Body bytes (framed as a chunk when chunked); an empty write does nothing.
  void write(std::string_view data);
  // Sends everything written so far now.
  void flush();
  // Ends the body (the last chunk with `trailers` when chunked). finish() after finish() is a no-op.
  void finish(Headers trailers = {});

  // The whole response at once: write_head with its length, write, finish.
  void send(const ServerResponse& response);
  void send(int status, std::string_view body, std::string_view content_type = "text/plain");

  // Closes the connection after this response ("Connection: close" when the head is not sent yet).
  void close_connection() noexcept { close_after_ = true; }

  bool head_sent() const noexcept { return head_sent_; }
  bool finished() const noexcept { return finished_; }
  int status() const noexcept { return status_; }

 private:
  friend class detail::ServerConnection;
  explicit ResponseWriter(detail::ServerConnection& connection) noexcept : connection_(&connection) {}
  // Writes the head; the caller's fields are already in the connection's field list.
  void start(int status, std::optional<std::uint64_t> content_length);
  void check_length(std::size_t more);

  detail::ServerConnection* connection_;
  std::optional<std::uint64_t> remaining_;  // bytes still owed to a Content-Length body
  int status_ = 0;
  bool head_sent_ = false;
  bool finished_ = false;
  bool chunked_ = false;
  bool no_body_ = false;  // HEAD, 1xx, 204, 304: the body is not sent
  bool close_after_ = false;
};

}  // namespace fern::http
