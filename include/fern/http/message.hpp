// The head of an HTTP/1.x message: the request line or status line plus its header fields, and how
// the body that follows is framed. Plain values (views into whoever owns the bytes); nothing here
// blocks or allocates.
#pragma once

#include <cstdint>
#include <string_view>

#include "fern/http/headers.hpp"

namespace fern::http {

struct Version {
  int major = 1;
  int minor = 1;
  friend bool operator==(Version, Version) = default;
};

inline constexpr Version kHttp10{1, 0};
inline constexpr Version kHttp11{1, 1};

// How the body of a message is delimited (RFC 9112 section 6).
enum class BodyKind {
  none,         // no body at all (GET without Content-Length, HEAD/1xx/204/304 responses, ...)
  length,       // exactly Content-Length bytes
  chunked,      // Transfer-Encoding: chunked, ended by a zero-size chunk and optional trailers
  until_close,  // a response without length: the body ends when the server closes the connection
};

struct RequestHead {
  std::string_view method;  // a token, case-sensitive ("GET", "POST", ...)
  std::string_view target;  // as sent: origin-form "/a?b", absolute-form, authority-form or "*"
  Version version;
  Headers headers;
};

struct ResponseHead {
  Version version;
  int status = 0;
  std::string_view reason;  // may be empty; carries no meaning
  Headers headers;
};

// The standard reason phrase of `status` ("Not Found"), or "" for a code without one.
std::string_view reason_phrase(int status) noexcept;

// Whether a response with this status never has a body, whatever its headers say (1xx, 204, 304).
constexpr bool status_forbids_body(int status) noexcept {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

}  // namespace fern::http
