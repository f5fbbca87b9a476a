#include "fern/http/serializer.hpp"

#include <charconv>

#include "fern/base/error.hpp"
#include "syntax.hpp"

namespace fern::http {
namespace {

[[noreturn]] void invalid(const char* what) { throw_error(Errc::invalid_argument, what); }

void check_fields(Headers fields) {
  for (const HeaderField& f : fields) {
    if (!syntax::is_token(f.name)) invalid("http: header field name is not a token");
    if (!syntax::is_field_value(f.value)) invalid("http: control character in a header field value");
    if (iequals(f.name, "content-length") || iequals(f.name, "transfer-encoding")) {
      invalid("http: Content-Length and Transfer-Encoding are written by the serializer");
    }
  }
}

void append_number(std::string& out, std::uint64_t value, int base = 10) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, value, base).ptr;
  out.append(digits, end);
}

void append_version(std::string& out, Version v) {
  out += "HTTP/";
  out += static_cast<char>('0' + v.major);
  out += '.';
  out += static_cast<char>('0' + v.minor);
}

void check_version(Version v) {
  if (v.major != 1 || v.minor < 0 || v.minor > 9) invalid("http: only HTTP/1.x can be serialized");
}

void append_fields(std::string& out, Headers fields) {
  for (const HeaderField& f : fields) {
    out.append(f.name).append(": ").append(f.value).append(kCrlf);
  }
}

// The framing fields for `kind`, then the empty line that ends the head.
void append_framing(std::string& out, BodyKind kind, std::uint64_t length) {
  if (kind == BodyKind::length) {
    out += "Content-Length: ";
    append_number(out, length);
    out += kCrlf;
  } else if (kind == BodyKind::chunked) {
    out += "Transfer-Encoding: chunked\r\n";
  }
  out += kCrlf;
}

bool method_expects_body(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

}  // namespace

void write_request_head(std::string& out, const RequestStart& start) {
  if (!syntax::is_token(start.method)) invalid("http: request method is not a token");
  if (start.target.empty()) invalid("http: empty request target");
  for (char c : start.target) {
    if (!syntax::is_target_char(c)) invalid("http: space or control character in request target");
  }
  check_version(start.version);
  check_fields(start.headers);
  if (start.body == BodyKind::until_close) invalid("http: a request body cannot end at close");
  if (start.body == BodyKind::chunked && start.version.minor == 0) invalid("http: chunked needs HTTP/1.1");
  out.append(start.method).append(" ").append(start.target).append(" ");
  append_version(out, start.version);
  out += kCrlf;
  append_fields(out, start.headers);
  append_framing(out, start.body, start.content_length);
}

void write_response_head(std::string& out, const ResponseStart& start) {
  if (start.status < 100 || start.status > 999) invalid("http: status code outside 100..999");
  if (!syntax::is_field_value(start.reason)) invalid("http: control character in reason phrase");
  check_version(start.version);
  check_fields(start.headers);
  const bool no_body = status_forbids_body(start.status);
  BodyKind kind = start.body;
  if (no_body && kind != BodyKind::none && !(start.status == 304 && kind == BodyKind::length)) {
    invalid("http: 1xx, 204 and 304 responses have no body");
  }
  if (kind == BodyKind::chunked && start.version.minor == 0) invalid("http: chunked needs HTTP/1.1");
  append_version(out, start.version);
  out += ' ';
  append_number(out, static_cast<std::uint64_t>(start.status));
  out += ' ';
  out += start.reason.empty() ? reason_phrase(start.status) : start.reason;
  out += kCrlf;
  append_fields(out, start.headers);
  if (kind == BodyKind::until_close && !start.headers.has_token("connection", "close")) {
    out += "Connection: close\r\n";
  }
  std::uint64_t length = start.content_length;
  if (kind == BodyKind::none && !no_body) {
    kind = BodyKind::length;  // "Content-Length: 0", or the client would read until close
    length = 0;
  }
  append_framing(out, kind, length);
}

void write_request(std::string& out, std::string_view method, std::string_view target, Headers headers,
                   std::string_view body) {
  const bool framed = !body.empty() || method_expects_body(method);
  write_request_head(out, {.method = method,
                           .target = target,
                           .headers = headers,
                           .body = framed ? BodyKind::length : BodyKind::none,
                           .content_length = body.size()});
  out += body;
}

void write_response(std::string& out, int status, Headers headers, std::string_view body) {
  const bool no_body = status_forbids_body(status);
  if (no_body && !body.empty()) invalid("http: 1xx, 204 and 304 responses have no body");
  write_response_head(out, {.status = status,
                            .headers = headers,
                            .body = no_body ? BodyKind::none : BodyKind::length,
                            .content_length = body.size()});
  out += body;
}

void write_chunk_header(std::string& out, std::uint64_t size) {
  append_number(out, size, 16);
  out += kCrlf;
}

void write_chunk(std::string& out, std::string_view data) {
  if (data.empty()) return;
  write_chunk_header(out, data.size());
  out.append(data).append(kCrlf);
}

void write_last_chunk(std::string& out, Headers trailers) {
  for (const HeaderField& f : trailers) {
    if (!syntax::is_token(f.name)) invalid("http: trailer field name is not a token");
    if (!syntax::is_field_value(f.value)) invalid("http: control character in a trailer field value");
  }
  out += "0\r\n";
  append_fields(out, trailers);
  out += kCrlf;
}

}  // namespace fern::http
