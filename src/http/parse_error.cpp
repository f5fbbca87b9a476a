#include "fern/http/parse_error.hpp"

#include <string>

namespace fern::http {
namespace {

const char* describe(ParseError e) noexcept {
  switch (e) {
    case ParseError::ok: return "success";
    case ParseError::bad_request_line: return "malformed request line";
    case ParseError::bad_method: return "request method is not a token";
    case ParseError::bad_target: return "malformed request target";
    case ParseError::bad_status_line: return "malformed status line";
    case ParseError::bad_version: return "malformed HTTP version";
    case ParseError::unsupported_version: return "HTTP version not supported";
    case ParseError::bad_line_ending: return "line not terminated by CRLF";
    case ParseError::obs_fold: return "obsolete line folding in a header field";
    case ParseError::space_before_colon: return "whitespace between header field name and colon";
    case ParseError::bad_header: return "malformed header field";
    case ParseError::bad_header_value: return "control character in a header field value";
    case ParseError::missing_host: return "HTTP/1.1 request without Host";
    case ParseError::duplicate_host: return "more than one Host header field";
    case ParseError::bad_content_length: return "malformed Content-Length";
    case ParseError::conflicting_content_length: return "conflicting Content-Length values";
    case ParseError::content_length_and_transfer_encoding: return "both Content-Length and Transfer-Encoding";
    case ParseError::bad_transfer_encoding: return "invalid Transfer-Encoding framing";
    case ParseError::unsupported_transfer_encoding: return "transfer coding not implemented";
    case ParseError::bad_chunk_size: return "malformed chunk size";
    case ParseError::bad_chunk_extension: return "malformed chunk extension";
    case ParseError::chunk_line_too_long: return "chunk size line too long";
    case ParseError::bad_chunk_end: return "chunk data not followed by CRLF";
    case ParseError::start_line_too_long: return "start line too long";
    case ParseError::header_block_too_large: return "header section too large";
    case ParseError::too_many_headers: return "too many header fields";
    case ParseError::body_too_large: return "body too large";
    case ParseError::unexpected_eof: return "connection closed in the middle of a message";
  }
  return "unknown HTTP parse error";
}

class HttpCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "fern.http"; }
  std::string message(int value) const override { return describe(static_cast<ParseError>(value)); }
};

}  // namespace

const std::error_category& http_category() noexcept {
  static const HttpCategory category;
  return category;
}

int error_status(ParseError e) noexcept {
  switch (e) {
    case ParseError::ok: return 0;
    case ParseError::unsupported_version: return 505;
    case ParseError::unsupported_transfer_encoding: return 501;
    case ParseError::start_line_too_long: return 414;
    case ParseError::header_block_too_large:
    case ParseError::too_many_headers: return 431;
    case ParseError::body_too_large: return 413;
    default: return 400;
  }
}

bool is_limit_error(ParseError e) noexcept {
  const int status = error_status(e);
  return status == 413 || status == 414 || status == 431;
}

}  // namespace fern::http
