// Fuzzes parse_http_date and format_http_date. Input: the text of a Date value; its first eight bytes
// are also read as a count of seconds for the formatting direction.
// Invariants: no crash or sanitizer report; an accepted date is an IMF-fixdate that formats back to
// the same 29 bytes (a leap second, :60, to the next minute's :00); a date system_clock cannot hold
// (it counts nanoseconds in 64 bits: years 1678 to 2261) is refused, not overflowed; any second it
// can hold formats to 29 bytes that parse back to the same second.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include <fern/http/date.hpp>

#include "fuzz_check.hpp"

namespace {

using namespace std::chrono;

using fern::fuzz::check;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const std::optional<system_clock::time_point> t = fern::http::parse_http_date(text)) {
    check(text.size() == 29, "accepted a date that is not 29 bytes");
    const std::string again = fern::http::format_http_date(*t);
    if (text.substr(23, 2) == "60") {
      check(fern::http::parse_http_date(again) == *t, "a leap second does not read as the next minute");
    } else {
      check(again == text, "an accepted date does not format back to itself");
    }
  }

  std::int64_t raw = 0;
  std::memcpy(&raw, data, size < sizeof raw ? size : sizeof raw);
  const std::int64_t first = ceil<seconds>(system_clock::time_point::min()).time_since_epoch().count();
  const std::int64_t last = floor<seconds>(system_clock::time_point::max()).time_since_epoch().count();
  const std::int64_t span = last - first + 1;
  const std::int64_t offset = ((raw % span) + span) % span;
  const system_clock::time_point t{seconds(first + offset)};
  const std::string formatted = fern::http::format_http_date(t);
  check(formatted.size() == 29, "formatted date is not 29 bytes");
  check(fern::http::parse_http_date(formatted) == t, "a formatted date does not parse back");
  return 0;
}
