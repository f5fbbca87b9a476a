// HTTP dates: the IMF-fixdate form RFC 9110 (section 5.6.7) requires for Date, Last-Modified and
// friends, "Sun, 06 Nov 1994 08:49:37 GMT", and a per-second cache of the current one for servers
// that stamp every response. Pure computation; nothing blocks.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace fern::http {

// `t` in IMF-fixdate (always 29 characters), truncated to the second.
std::string format_http_date(std::chrono::system_clock::time_point t);

// Parses an IMF-fixdate. The obsolete RFC 850 and asctime forms are not accepted.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text);

// The Date value for now, formatted once per second: servers call it for every response. Not
// thread-safe; keep one per thread (per hub).
class HttpDateCache {
 public:
  std::string_view now() { return at(std::chrono::system_clock::now()); }
  std::string_view at(std::chrono::system_clock::time_point t);

 private:
  std::chrono::sys_seconds second_{};
  std::string text_;
};

}  // namespace fern::http
