#include "fern/net/address.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <algorithm>
#include <cstring>

#include "fern/base/error.hpp"

namespace fern::net {

Address::Address(const sockaddr* addr, socklen_t length) noexcept {
  length_ = std::min<socklen_t>(length, sizeof storage_);
  std::memcpy(&storage_, addr, length_);
}

std::optional<Address> Address::parse(std::string_view ip, std::uint16_t port) {
  // inet_pton and if_nametoindex stop at a NUL: "1.2.3.4\0junk" must not read as 1.2.3.4.
  if (ip.find('\0') != std::string_view::npos) return std::nullopt;
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  std::string text(ip);
  Address a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage_);
  if (::inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    a.length_ = sizeof(sockaddr_in);
    return a;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage_);
  std::string scope;
  if (std::size_t percent = text.find('%'); percent != std::string::npos) {
    scope = text.substr(percent + 1);
    text.resize(percent);
  }
  if (::inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) != 1) return std::nullopt;
  v6->sin6_family = AF_INET6;
  v6->sin6_port = htons(port);
  if (!scope.empty()) {
    unsigned index = ::if_nametoindex(scope.c_str());
    if (index == 0) return std::nullopt;
    v6->sin6_scope_id = index;
  }
  a.length_ = sizeof(sockaddr_in6);
  return a;
}

Address Address::ip(std::string_view ip, std::uint16_t port) {
  if (std::optional<Address> a = parse(ip, port)) return *a;
  throw std::system_error(make_error_code(Errc::invalid_argument),
                          "fern: not a numeric IP address: '" + std::string(ip) + "'");
}

Address Address::ipv4_loopback(std::uint16_t port) { return ip("127.0.0.1", port); }
Address Address::ipv6_loopback(std::uint16_t port) { return ip("::1", port); }
Address Address::ipv4_any(std::uint16_t port) { return ip("0.0.0.0", port); }
Address Address::ipv6_any(std::uint16_t port) { return ip("::", port); }

Address Address::unix_path(std::string_view path) {
  Address a;
  auto* un = reinterpret_cast<sockaddr_un*>(&a.storage_);
  if (path.empty() || path.size() >= sizeof un->sun_path)
    throw std::system_error(
        make_error_code(Errc::invalid_argument),
        "fern: Unix socket path empty or longer than 107 bytes: '" + std::string(path) + "'");
  // The kernel ends a path name at its first NUL (and one starting with NUL is an abstract name):
  // only an abstract name ('@') may hold NUL bytes.
  if (path.front() != '@' && path.find('\0') != std::string_view::npos)
    throw std::system_error(make_error_code(Errc::invalid_argument),
                            "fern: Unix socket path holds a NUL byte");
  un->sun_family = AF_UNIX;
  std::memcpy(un->sun_path, path.data(), path.size());
  if (path.front() == '@') un->sun_path[0] = '\0';  // abstract namespace: no trailing NUL counted
  a.length_ =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (path.front() == '@' ? 0 : 1));
  return a;
}

std::uint16_t Address::port() const noexcept {
  if (is_ipv4()) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  if (is_ipv6()) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  return 0;
}

std::string Address::host() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (is_ipv4()) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, text, sizeof text);
    return text;
  }
  if (is_ipv6()) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, text, sizeof text);
    return text;
  }
  if (is_unix()) {
    const auto* un = reinterpret_cast<const sockaddr_un*>(&storage_);
    std::size_t n = length_ > offsetof(sockaddr_un, sun_path) ? length_ - offsetof(sockaddr_un, sun_path) : 0;
    if (n == 0) return {};
    if (un->sun_path[0] == '\0') return "@" + std::string(un->sun_path + 1, n - 1);
    return std::string(un->sun_path, ::strnlen(un->sun_path, n));
  }
  return {};
}

std::string Address::to_string() const {
  if (is_ipv4()) return host() + ":" + std::to_string(port());
  if (is_ipv6()) return "[" + host() + "]:" + std::to_string(port());
  if (is_unix()) return "unix:" + host();
  return "(no address)";
}

bool operator==(const Address& a, const Address& b) noexcept {
  return a.length_ == b.length_ && std::memcmp(&a.storage_, &b.storage_, a.length_) == 0;
}

}  // namespace fern::net
