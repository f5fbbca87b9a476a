// Url: an absolute http or https URL split into what a client needs to send a request: the scheme,
// the host (a name, an IPv4 address or an IPv6 literal), the port (explicit or the scheme's
// default) and the request target (path and query, origin-form). Parsing is strict and pure: nothing
// blocks, nothing is looked up. A malformed URL is rejected with a message that says what is wrong
// and where; a fragment ("#...") is dropped, since it is never sent.
//
//   Url u = parse_url("http://[::1]:8080/a/b?x=1");   // host "::1", port 8080, target "/a/b?x=1"
//   Url next = resolve_url(u, "../c");                  // http://[::1]:8080/c (a redirect's Location)
//
// Accepted: scheme "http" or "https" in any case; host names of letters, digits, '-', '.', '_', '~'
// (lower-cased); IPv4 dotted quads; IPv6 literals in brackets (no zone ids); a port 1..65535 (an
// empty port means the default); a path and query of printable ASCII with valid %XX escapes.
// Rejected: other schemes, user info ("user:pass@"), empty hosts, spaces, control and non-ASCII bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fern::http {

struct Url {
  std::string scheme;      // "http" or "https"
  std::string host;        // lower case; an IPv6 literal without its brackets
  std::uint16_t port = 0;  // explicit, or 80 / 443
  std::string target;      // path and query in origin-form, "/" at least

  bool is_https() const noexcept { return scheme == "https"; }
  bool is_ipv6() const noexcept { return host.find(':') != std::string::npos; }
  bool has_default_port() const noexcept { return port == default_port(scheme); }
  // What the Host field carries: host[:port], brackets around IPv6, no port when it is the default.
  std::string authority() const;
  // scheme://authority: requests to one origin may share connections.
  std::string origin() const;
  // The whole URL, normalized (origin + target).
  std::string to_string() const;

  static std::uint16_t default_port(std::string_view scheme) noexcept { return scheme == "https" ? 443 : 80; }
  friend bool operator==(const Url&, const Url&) = default;
};

// Parses an absolute http(s) URL; throws std::system_error with fern::Errc::invalid_argument and a
// message naming the URL and the fault ("invalid URL \"http://a:99999/\": port out of range").
Url parse_url(std::string_view text);
// The same without exceptions for malformed input: nullopt, and the fault in `why` when given.
std::optional<Url> try_parse_url(std::string_view text, std::string* why = nullptr);

// Resolves `reference` (a redirect's Location) against `base` (RFC 3986 section 5.2): an absolute
// URL, "//host/path", "/path", "relative/path", "?query", with "." and ".." segments removed. Throws
// like parse_url when the result is not a valid http(s) URL.
Url resolve_url(const Url& base, std::string_view reference);

}  // namespace fern::http
