// Fuzzes parse_url and resolve_url. Input: the bytes of a URL (and, for resolve_url, the same bytes as
// a Location relative to a fixed base).
// Invariants: no crash or sanitizer report; a rejected URL throws std::system_error with
// Errc::invalid_argument, never anything else; an accepted one is sane (http or https, a non-empty
// host, a port, a target that starts with '/' and holds no space or control byte) and normal: printing
// it and parsing that again gives the same Url; try_parse_url agrees with parse_url.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <system_error>

#include <fern/base/error.hpp>
#include <fern/http/url.hpp>

#include "fuzz_check.hpp"

namespace {

using fern::http::Url;

using fern::fuzz::check;

void check_sane(const Url& u) {
  check(u.scheme == "http" || u.scheme == "https", "scheme");
  check(!u.host.empty(), "empty host");
  check(u.port != 0, "port 0");
  check(!u.target.empty() && u.target.front() == '/', "target not origin-form");
  for (char c : u.target) check(static_cast<unsigned char>(c) > 0x20 && c != 0x7f, "control byte in target");
  for (char c : u.host) check(c != '/' && c != '@' && c != '[' && c != ']', "delimiter in host");
  Url again = fern::http::parse_url(u.to_string());
  check(again == u, "to_string does not round-trip");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string why;
  auto parsed = fern::http::try_parse_url(text, &why);
  try {
    Url u = fern::http::parse_url(text);
    check(parsed.has_value() && *parsed == u, "try_parse_url disagrees");
    check_sane(u);
  } catch (const std::system_error& e) {
    check(e.code() == fern::Errc::invalid_argument, "wrong error code");
    check(!parsed.has_value() && !why.empty(), "try_parse_url disagrees on a rejection");
    for (char c : why)
      check(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, "control byte in the message");
  }
  static const Url base = fern::http::parse_url("http://base.example:8080/a/b/c?q=1");
  try {
    check_sane(fern::http::resolve_url(base, text));
  } catch (const std::system_error& e) {
    check(e.code() == fern::Errc::invalid_argument, "wrong error code from resolve_url");
  }
  return 0;
}
