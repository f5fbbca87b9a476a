// ServerRequest: one HTTP request as the server's handler sees it: the request line and header
// fields (views that stay valid for the whole call of the handler), the peer's address, and the
// body, read on demand. Reading the body parks the handler's greenlet while bytes are on their way,
// each read bounded by ServerOptions::read_timeout; the first read answers "Expect: 100-continue"
// with an interim 100 response, so a client waits for the server's consent only when the handler
// actually wants the body. A handler that leaves the body unread need not care: the server drains
// it (or closes the connection) before the next request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "fern/http/headers.hpp"
#include "fern/http/message.hpp"
#include "fern/net/address.hpp"

namespace fern::http {

namespace detail {
class ServerConnection;
}

class ServerRequest {
 public:
  ServerRequest(const ServerRequest&) = delete;
  ServerRequest& operator=(const ServerRequest&) = delete;

  std::string_view method() const noexcept { return head_.method; }
  // As sent: "/a/b?x=1" (origin form), or an absolute URI, "*", host:port for CONNECT.
  std::string_view target() const noexcept { return head_.target; }
  // The target up to '?', and what follows it (without the '?'; empty when there is none).
  std::string_view path() const noexcept { return target().substr(0, target().find('?')); }
  std::string_view query() const noexcept;
  Version version() const noexcept { return head_.version; }
  const Headers& headers() const noexcept { return head_.headers; }
  std::optional<std::string_view> header(std::string_view name) const noexcept {
    return head_.headers.get(name);
  }
  const net::Address& peer() const noexcept { return *peer_; }
  // Whether the client wants the connection kept open after this exchange.
  bool keep_alive() const noexcept;

  // How the body is framed (none, length or chunked) and its length when announced.
  BodyKind body_kind() const noexcept;
  std::optional<std::uint64_t> content_length() const noexcept;
  bool has_body() const noexcept { return body_kind() != BodyKind::none; }

  // The next piece of the body, valid until the next call; empty once the body is complete. Throws
  // std::system_error: a ParseError (malformed chunking, over ServerOptions' max_body: the server
  // answers 400/413), Errc::timed_out, or Errc::unexpected_eof when the client goes away.
  std::string_view read_some();
  // The rest of the body as one string; Errc::limit_exceeded when it exceeds `max_size` (the
  // server answers 413).
  std::string read_body(std::size_t max_size = std::numeric_limits<std::size_t>::max());
  // Whether the whole body (possibly empty) has been read.
  bool body_complete() const noexcept;

 private:
  friend class detail::ServerConnection;
  ServerRequest(detail::ServerConnection& connection, const RequestHead& head,
                const net::Address& peer) noexcept
      : connection_(&connection), head_(head), peer_(&peer) {}

  detail::ServerConnection* connection_;
  RequestHead head_;
  const net::Address* peer_;
};

}  // namespace fern::http
