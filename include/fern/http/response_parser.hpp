// ResponseParser: the client side of HTTP/1.1 as a sans-IO parser. Feed it what a connection
// receives; it yields each response's head, its body in pieces and its end (see MessageParser for
// the event loop, limits and lifetimes). It never blocks and owns no socket.
//
// A response's framing can depend on the request: a response to HEAD has no body whatever its
// Content-Length says, and a 2xx to CONNECT opens a tunnel. So tell the parser the method of each
// request you send, in order (request_sent); pipelined requests queue up. Without it every response
// is framed as the answer to a GET.
//
// Interim 1xx responses (100 Continue, 103 Early Hints) come out as messages of their own, followed
// by the final response to the same request. A 101 Switching Protocols, or a 2xx to CONNECT, ends
// HTTP on the connection: closed follows, and take_buffered() returns the first bytes of the new
// protocol. A body without length ends at feed_eof().
#pragma once

#include <string_view>

#include "fern/http/message.hpp"
#include "fern/http/message_parser.hpp"

namespace fern::http {

class ResponseParser : public MessageParser {
 public:
  explicit ResponseParser(const ParserLimits& limits = {}) : MessageParser(Role::response, limits) {}

  // Records that a request with this method was sent; its response is framed accordingly.
  void request_sent(std::string_view method) { push_request_method(method); }

  // The current response's status line and fields, from headers_complete until the next one.
  ResponseHead response() const noexcept { return {version(), status(), start_part(2), headers()}; }
  // Whether the current response is 1xx other than 101: the final response follows.
  bool is_interim() const noexcept { return status() >= 100 && status() < 200 && status() != 101; }
  // Whether the current response switched the connection to another protocol (101, or 2xx to CONNECT).
  bool upgraded() const noexcept { return has_upgrade(); }
};

}  // namespace fern::http
