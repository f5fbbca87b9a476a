// Serializer: writes HTTP/1.1 requests and responses into a byte buffer (appending to a
// std::string), ready for one send. Sans-IO like the parsers: it never blocks and owns no socket.
//
// The serializer owns the framing: it writes Content-Length or Transfer-Encoding itself from the
// BodyKind it is given, and refuses caller fields named Content-Length or Transfer-Encoding, so a
// message cannot announce one length and carry another. Chunked streaming is three calls:
// write_response_head({.body = BodyKind::chunked, ...}), write_chunk() per piece, write_last_chunk().
//
// Errors: a field name that is not a token, a CR/LF/NUL in a value, reason or target (header
// injection), a status outside 100..999, or a framing the message cannot have (a body on 204, chunked
// in HTTP/1.0) throw std::system_error with fern::Errc::invalid_argument; `out` is then unchanged.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "fern/http/headers.hpp"
#include "fern/http/message.hpp"

namespace fern::http {

struct RequestStart {
  std::string_view method = "GET";
  std::string_view target = "/";
  Headers headers;                   // Host belongs here; no Content-Length/Transfer-Encoding
  BodyKind body = BodyKind::none;    // none, length or chunked
  std::uint64_t content_length = 0;  // with BodyKind::length
  Version version = kHttp11;
};

struct ResponseStart {
  int status = 200;
  std::string_view reason;  // empty: reason_phrase(status)
  Headers headers;
  // none writes "Content-Length: 0" where a body could follow; length announces content_length
  // bytes (a response to HEAD, or a 304, sends the head alone); until_close adds "Connection: close".
  BodyKind body = BodyKind::length;
  std::uint64_t content_length = 0;
  Version version = kHttp11;
};

void write_request_head(std::string& out, const RequestStart& start);
void write_response_head(std::string& out, const ResponseStart& start);

// A whole request: with a Content-Length when `body` is not empty or the method is POST, PUT or
// PATCH (which expect one), otherwise without framing fields.
void write_request(std::string& out, std::string_view method, std::string_view target, Headers headers,
                   std::string_view body = {});
// A whole response with a Content-Length body (no framing at all for 1xx, 204 and 304).
void write_response(std::string& out, int status, Headers headers, std::string_view body = {});

// One chunk of a chunked body; empty data writes nothing (a zero-size chunk would end the body).
void write_chunk(std::string& out, std::string_view data);
// The size line of a chunk of `size` bytes, for gather writes: send it, the data, then kCrlf.
void write_chunk_header(std::string& out, std::uint64_t size);
inline constexpr std::string_view kCrlf = "\r\n";
// The zero-size chunk that ends a chunked body, with optional trailer fields.
void write_last_chunk(std::string& out, Headers trailers = {});

}  // namespace fern::http
