// Real descriptors for the selector tests: socketpairs and loopback TCP connections, closed on scope
// exit.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>
#include <utility>

namespace fern::selectors::testing {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {
    if (fd_ < 0) throw std::system_error(errno, std::system_category(), "test fd");
  }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~Fd() { reset(); }
  int get() const noexcept { return fd_; }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

inline std::pair<Fd, Fd> socket_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) {
    throw std::system_error(errno, std::system_category(), "socketpair");
  }
  return {Fd(fds[0]), Fd(fds[1])};
}

inline void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// A listening socket on 127.0.0.1 with a kernel-chosen port.
inline Fd tcp_listener(sockaddr_in& address) {
  Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) < 0 ||
      ::listen(listener.get(), 64) < 0 ||
      ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length) < 0) {
    throw std::system_error(errno, std::system_category(), "tcp listener");
  }
  return listener;
}

inline Fd tcp_connect(const sockaddr_in& address) {
  Fd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (::connect(client.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) < 0) {
    throw std::system_error(errno, std::system_category(), "connect");
  }
  return client;
}

// A connected loopback TCP pair: {client, server side}.
inline std::pair<Fd, Fd> tcp_pair() {
  sockaddr_in address;
  Fd listener = tcp_listener(address);
  Fd client = tcp_connect(address);
  Fd server(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  return {std::move(client), std::move(server)};
}

inline void write_all(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) throw std::system_error(errno, std::system_category(), "write");
    done += static_cast<std::size_t>(n);
  }
}

// Writes into a non-blocking fd until the kernel buffer is full.
inline void fill_send_buffer(int fd) {
  set_nonblocking(fd);
  const std::string chunk(64 * 1024, 'x');
  while (::write(fd, chunk.data(), chunk.size()) > 0) {
  }
}

// Reads whatever is available from a non-blocking fd; returns the byte count.
inline std::size_t drain(int fd) {
  set_nonblocking(fd);
  char buffer[64 * 1024];
  std::size_t total = 0;
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) total += static_cast<std::size_t>(n);
  return total;
}

}  // namespace fern::selectors::testing
