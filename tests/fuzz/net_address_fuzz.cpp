// Fuzzes net::Address's parsing: Address::parse / Address::ip for numeric IPv4 and IPv6 text
// (brackets and a %scope included) and Address::unix_path. Input: two bytes of port, then the text.
// Invariants: no crash or sanitizer report; ip() throws std::system_error(Errc::invalid_argument)
// exactly when parse() refuses; an accepted address is IPv4 or IPv6 with the given port, no byte of
// the text is ignored (an embedded NUL is refused, not cut off), it prints as host():port or
// [host()]:port, and host() parses back to the same address; a Unix path is refused exactly when
// empty or too long, prints back as the same text, and survives a copy through the kernel's form.
#include <netinet/in.h>
#include <sys/un.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <fern/base/error.hpp>
#include <fern/net/address.hpp>

#include "fuzz_check.hpp"

namespace {

using fern::net::Address;

using fern::fuzz::check;

bool same_ip_and_port(const Address& a, const Address& b) {
  if (a.family() != b.family() || a.port() != b.port()) return false;
  if (a.is_ipv4()) {
    return std::memcmp(&reinterpret_cast<const sockaddr_in*>(a.data())->sin_addr,
                       &reinterpret_cast<const sockaddr_in*>(b.data())->sin_addr, sizeof(in_addr)) == 0;
  }
  return std::memcmp(&reinterpret_cast<const sockaddr_in6*>(a.data())->sin6_addr,
                     &reinterpret_cast<const sockaddr_in6*>(b.data())->sin6_addr, sizeof(in6_addr)) == 0;
}

void check_ip(std::string_view text, std::uint16_t port) {
  const std::optional<Address> parsed = Address::parse(text, port);
  try {
    const Address a = Address::ip(text, port);
    check(parsed.has_value() && *parsed == a, "ip() and parse() disagree");
  } catch (const std::system_error& e) {
    check(e.code() == fern::Errc::invalid_argument, "ip() threw the wrong error");
    check(!parsed.has_value(), "ip() threw for text parse() accepts");
  }
  if (!parsed) return;
  const Address& a = *parsed;
  check(text.find('\0') == std::string_view::npos, "text after a NUL was ignored");
  check(a.is_ipv4() || a.is_ipv6(), "family");
  check(a.port() == port, "port");
  check(a.size() == (a.is_ipv4() ? sizeof(sockaddr_in) : sizeof(sockaddr_in6)), "length");
  const std::string host = a.host();
  check(a.to_string() == (a.is_ipv4() ? host + ":" : "[" + host + "]:") + std::to_string(port), "to_string");
  const std::optional<Address> again = Address::parse(host, port);
  check(again.has_value() && same_ip_and_port(*again, a), "host() does not parse back to the address");
  check(Address(a.data(), a.size()) == a, "a copy through sockaddr differs");
}

void check_unix(std::string_view text) {
  Address a;
  try {
    a = Address::unix_path(text);
  } catch (const std::system_error& e) {
    check(e.code() == fern::Errc::invalid_argument, "unix_path() threw the wrong error");
    check(text.empty() || text.size() >= sizeof(sockaddr_un::sun_path) ||
              (text.front() != '@' && text.find('\0') != std::string_view::npos),
          "unix_path() refused a usable path");
    return;
  }
  check(a.is_unix() && a.port() == 0, "family");
  check(a.host() == text, "a Unix path does not print back as itself");
  check(a.to_string() == "unix:" + std::string(text), "to_string");
  check(Address(a.data(), a.size()) == a, "a copy through sockaddr differs");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const auto port = static_cast<std::uint16_t>(data[0] << 8 | data[1]);
  const std::string_view text(reinterpret_cast<const char*>(data) + 2, size - 2);
  check_ip(text, port);
  check_unix(text);
  return 0;
}
