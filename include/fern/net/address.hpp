// Address: a socket address (IPv4, IPv6 or Unix path) held by value, as the kernel takes it. Parsing
// is numeric only; names go through the resolver (fern/net/resolver.hpp), which never blocks the hub.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fern::net {

class Address {
 public:
  Address() = default;
  // From a kernel address (accept, recvfrom, getaddrinfo).
  Address(const sockaddr* addr, socklen_t length) noexcept;

  // "127.0.0.1", "::1", "fe80::1%eth0" with a port; nullopt when `ip` is not a numeric address.
  static std::optional<Address> parse(std::string_view ip, std::uint16_t port);
  // Like parse, but throws std::system_error (Errc::invalid_argument) naming the bad text.
  static Address ip(std::string_view ip, std::uint16_t port);
  static Address ipv4_loopback(std::uint16_t port = 0);
  static Address ipv6_loopback(std::uint16_t port = 0);
  static Address ipv4_any(std::uint16_t port = 0);
  static Address ipv6_any(std::uint16_t port = 0);
  // A Unix-domain path; a leading '@' names the Linux abstract namespace.
  static Address unix_path(std::string_view path);

  int family() const noexcept { return storage_.ss_family; }
  bool is_ipv4() const noexcept { return family() == AF_INET; }
  bool is_ipv6() const noexcept { return family() == AF_INET6; }
  bool is_unix() const noexcept { return family() == AF_UNIX; }
  // The port (IP families), 0 otherwise.
  std::uint16_t port() const noexcept;
  // "1.2.3.4", "::1", or the Unix path.
  std::string host() const;
  // "1.2.3.4:80", "[::1]:80", "unix:/path".
  std::string to_string() const;

  const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
  sockaddr* data() noexcept { return reinterpret_cast<sockaddr*>(&storage_); }
  socklen_t size() const noexcept { return length_; }
  // For calls that fill the address in: the capacity, then set_size with what the kernel wrote.
  static constexpr socklen_t capacity() noexcept { return sizeof(sockaddr_storage); }
  void set_size(socklen_t length) noexcept { length_ = length; }

  friend bool operator==(const Address& a, const Address& b) noexcept;

 private:
  sockaddr_storage storage_{};
  socklen_t length_ = 0;
};

}  // namespace fern::net
