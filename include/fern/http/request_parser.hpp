// RequestParser: the server side of HTTP/1.1 as a sans-IO parser. Feed it what a connection
// receives; it yields each request's head, its body in pieces and its end, one request after another
// on a keep-alive or pipelined connection (see MessageParser for the event loop, limits and
// lifetimes). It never blocks and owns no socket.
//
// On an error event, answer error_status() (400, 413, 414, 431, 501, 505) with "Connection: close"
// and close: after malformed framing nothing later on the connection can be trusted.
#pragma once

#include "fern/http/message.hpp"
#include "fern/http/message_parser.hpp"

namespace fern::http {

class RequestParser : public MessageParser {
 public:
  explicit RequestParser(const ParserLimits& limits = {}) : MessageParser(Role::request, limits) {}

  // The current request's line and fields, from headers_complete until the next headers_complete.
  RequestHead request() const noexcept { return {start_part(0), start_part(1), version(), headers()}; }
  // "Expect: 100-continue": the client waits for an interim 100 response before sending the body.
  bool expects_continue() const noexcept { return headers().has_token("expect", "100-continue"); }
  // "Connection: upgrade" with an Upgrade field: the client offers another protocol. If the server
  // switches, the bytes after this request are take_buffered().
  bool upgrade_requested() const noexcept { return has_upgrade(); }
};

}  // namespace fern::http
