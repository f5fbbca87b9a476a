// Real TCP sockets on 127.0.0.1 for the aio tests: a non-blocking listener on a free port and
// blocking-free helpers to connect to it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <system_error>

#include "fern/hub/io_wait.hpp"

namespace fern::aio::test {

inline int tcp_socket() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  adopt_fd(fd);
  return fd;
}

// A listening socket on 127.0.0.1 and an ephemeral port.
struct Listener {
  int fd = -1;
  sockaddr_in address{};
  Listener() {
    fd = tcp_socket();
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd, 64) != 0)
      throw std::system_error(errno, std::generic_category(), "bind/listen");
    socklen_t len = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &len);
  }
  ~Listener() { close_fd(fd); }
  const sockaddr* addr() const { return reinterpret_cast<const sockaddr*>(&address); }
};

}  // namespace fern::aio::test
