// ParseError: why an HTTP/1.1 parser rejected its input, as a std::error_code in the "fern.http"
// category, and the status code a server answers with before it closes the connection
// (error_status): 400 for malformed or ambiguous framing, 413/414/431 for the configured limits,
// 501 for a transfer coding fern does not decode, 505 for an HTTP major version other than 1.
#pragma once

#include <system_error>

namespace fern::http {

enum class ParseError {
  ok = 0,
  // The start line.
  bad_request_line = 1,  // not "method SP target SP version"
  bad_method,            // the method is not a token
  bad_target,            // the request target is empty or holds a control character
  bad_status_line,       // not "version SP 3digit [SP reason]", or a status outside 100..999
  bad_version,           // not "HTTP/" digit "." digit
  unsupported_version,   // well formed, but not HTTP/1.x
  // Field lines.
  bad_line_ending,     // a bare LF (every line must end in CRLF)
  obs_fold,            // a field line continued on the next line (obsolete line folding)
  space_before_colon,  // whitespace between a field name and its colon
  bad_header,          // a field line without a colon, or a name that is not a token
  bad_header_value,    // a control character (NUL, bare CR, ...) in a field value
  missing_host,        // an HTTP/1.1 request without Host
  duplicate_host,      // more than one Host field
  // Framing: the headers that delimit the body.
  bad_content_length,                    // not a decimal number
  conflicting_content_length,            // several Content-Length values that differ
  content_length_and_transfer_encoding,  // both: a request smuggling pattern
  bad_transfer_encoding,                 // chunked missing, not last or repeated, or sent by HTTP/1.0
  unsupported_transfer_encoding,         // a coding other than chunked (gzip, ...)
  // Chunked bodies.
  bad_chunk_size,       // chunk size not hexadecimal, or too many digits
  bad_chunk_extension,  // malformed ";name=value" after the chunk size
  chunk_line_too_long,  // the chunk size line exceeds ParserLimits::max_chunk_line
  bad_chunk_end,        // chunk data not followed by CRLF
  // Limits (ParserLimits).
  start_line_too_long,     // the request line (or status line) exceeds max_start_line
  header_block_too_large,  // the head (or the trailers) exceeds max_header_block
  too_many_headers,        // more fields than max_header_count
  body_too_large,          // the body exceeds max_body
  // The connection.
  unexpected_eof,  // the peer closed in the middle of a message
};

const std::error_category& http_category() noexcept;

inline std::error_code make_error_code(ParseError e) noexcept {
  return {static_cast<int>(e), http_category()};
}

// The status code a server sends for `e`: 400, 413, 414, 431, 501 or 505 (0 for ok).
int error_status(ParseError e) noexcept;

// Whether `e` is one of the configured limits (413, 414, 431) rather than malformed input.
bool is_limit_error(ParseError e) noexcept;

}  // namespace fern::http

template <>
struct std::is_error_code_enum<fern::http::ParseError> : std::true_type {};
