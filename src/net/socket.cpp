#include "fern/net/socket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "fern/base/error.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/io_wait.hpp"
#include "fern/hub/socket_io.hpp"

namespace fern::net {
namespace {

std::error_code last_error() noexcept { return {errno, std::system_category()}; }

void check(const std::error_code& ec, const char* what) {
  if (ec) throw_error(ec, what);
}

}  // namespace

Socket::Socket(int family, int type, int protocol) {
  fd_ = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd_ < 0) throw_errno("fern: socket()");
  adopt_fd(fd_);
}

Socket Socket::adopt(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
    throw_errno("fern: making an adopted fd non-blocking");
  adopt_fd(fd);
  return Socket(fd, kForever);
}

Socket::Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)), timeout_(other.timeout_) {}

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    timeout_ = other.timeout_;
  }
  return *this;
}

int Socket::release() noexcept { return std::exchange(fd_, -1); }

void Socket::close() noexcept {
  if (fd_ >= 0) close_fd(std::exchange(fd_, -1));
}

void Socket::connect(const Address& peer, Duration timeout) {
  std::error_code ec;
  connect(peer, timeout, ec);
  if (ec) throw std::system_error(ec, "fern: connect to " + peer.to_string());
}

void Socket::connect(const Address& peer, Duration timeout, std::error_code& ec) {
  io::connect(fd_, peer.data(), peer.size(), timeout, ec);
}

void Socket::bind(const Address& local) {
  if (::bind(fd_, local.data(), local.size()) != 0)
    throw std::system_error(last_error(), "fern: bind to " + local.to_string());
}

void Socket::listen(int backlog) {
  if (::listen(fd_, backlog) != 0) throw_errno("fern: listen");
}

Socket Socket::accept(Address* peer) {
  std::error_code ec;
  Socket s = accept(peer, ec);
  check(ec, "fern: accept");
  return s;
}

Socket Socket::accept(Address* peer, std::error_code& ec) {
  ec.clear();
  Address scratch;
  Address& into = peer ? *peer : scratch;
  socklen_t length = Address::capacity();
  int fd = -1;
  // On a completion driver (io_uring) every accept is a ring operation: one connection per round
  // trip through the hub, so a storm of connections waiting in the backlog drains one per loop
  // turn. The listener is non-blocking, so a plain accept4 first takes what is already queued at
  // once, as the readiness path does; only an empty backlog costs the ring operation (and that one
  // accept4 that said EAGAIN).
  if (io::performed_by_driver()) {
    fd = ::accept4(fd_, into.data(), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) length = Address::capacity();
  }
  if (fd < 0) fd = io::accept(fd_, into.data(), &length, SOCK_NONBLOCK | SOCK_CLOEXEC, timeout_, ec);
  if (fd < 0) return Socket();
  into.set_size(length);
  adopt_fd(fd);
  return Socket(fd, kForever);
}

std::size_t Socket::send(const void* data, std::size_t size) {
  std::error_code ec;
  std::size_t n = send(data, size, ec);
  check(ec, "fern: send");
  return n;
}

std::size_t Socket::send(const void* data, std::size_t size, std::error_code& ec) {
  ec.clear();
  ssize_t n = io::send(fd_, data, size, MSG_NOSIGNAL, timeout_, ec);
  return n < 0 ? 0 : static_cast<std::size_t>(n);
}

void Socket::send_all(const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    std::size_t n = send(p, size);
    p += n;
    size -= n;
  }
}

std::size_t Socket::send_vectors(const iovec* vectors, int count, std::error_code& ec) {
  ec.clear();
  msghdr message{};
  message.msg_iov = const_cast<iovec*>(vectors);
  message.msg_iovlen = static_cast<std::size_t>(count);
  ssize_t n = io::sendmsg(fd_, &message, MSG_NOSIGNAL, timeout_, ec);
  return n < 0 ? 0 : static_cast<std::size_t>(n);
}

std::size_t Socket::recv(void* data, std::size_t size) {
  std::error_code ec;
  std::size_t n = recv(data, size, ec);
  check(ec, "fern: recv");
  return n;
}

std::size_t Socket::recv(void* data, std::size_t size, std::error_code& ec) {
  ec.clear();
  ssize_t n = io::recv(fd_, data, size, 0, timeout_, ec);
  return n < 0 ? 0 : static_cast<std::size_t>(n);
}

std::string Socket::recv(std::size_t max_size) {
  std::string out(max_size, '\0');
  out.resize(recv(out.data(), max_size));
  return out;
}

void Socket::recv_exact(void* data, std::size_t size) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    std::size_t n = recv(p, size);
    if (n == 0) throw_error(Errc::unexpected_eof, "fern: recv_exact");
    p += n;
    size -= n;
  }
}

std::string Socket::recv_exact(std::size_t size) {
  std::string out(size, '\0');
  recv_exact(out.data(), size);
  return out;
}

std::size_t Socket::send_to(const void* data, std::size_t size, const Address& to) {
  std::error_code ec;
  ssize_t n = io::sendto(fd_, data, size, MSG_NOSIGNAL, to.data(), to.size(), timeout_, ec);
  if (ec) throw std::system_error(ec, "fern: sendto " + to.to_string());
  return static_cast<std::size_t>(n);
}

std::size_t Socket::recv_from(void* data, std::size_t size, Address& from) {
  std::error_code ec;
  std::size_t n = recv_from(data, size, from, ec);
  check(ec, "fern: recvfrom");
  return n;
}

std::size_t Socket::recv_from(void* data, std::size_t size, Address& from, std::error_code& ec) {
  ec.clear();
  socklen_t length = Address::capacity();
  ssize_t n = io::recvfrom(fd_, data, size, 0, from.data(), &length, timeout_, ec);
  if (n < 0) return 0;
  from.set_size(length);
  return static_cast<std::size_t>(n);
}

void Socket::shutdown_write(std::error_code& ec) {
  ec.clear();
  if (::shutdown(fd_, SHUT_WR) != 0) ec = last_error();
}

void Socket::shutdown(int how) {
  if (::shutdown(fd_, how) != 0 && errno != ENOTCONN) throw_errno("fern: shutdown");
}

Address Socket::local_address() const {
  Address a;
  socklen_t length = Address::capacity();
  if (::getsockname(fd_, a.data(), &length) != 0) throw_errno("fern: getsockname");
  a.set_size(length);
  return a;
}

Address Socket::peer_address() const {
  Address a;
  socklen_t length = Address::capacity();
  if (::getpeername(fd_, a.data(), &length) != 0) throw_errno("fern: getpeername");
  a.set_size(length);
  return a;
}

void Socket::set_option(int level, int name, int value) {
  if (::setsockopt(fd_, level, name, &value, sizeof value) != 0) throw_errno("fern: setsockopt");
}

int Socket::get_option(int level, int name) const {
  int value = 0;
  socklen_t length = sizeof value;
  if (::getsockopt(fd_, level, name, &value, &length) != 0) throw_errno("fern: getsockopt");
  return value;
}

void Socket::set_nodelay(bool on) { set_option(IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0); }
void Socket::set_reuse_address(bool on) { set_option(SOL_SOCKET, SO_REUSEADDR, on ? 1 : 0); }
void Socket::set_reuse_port(bool on) { set_option(SOL_SOCKET, SO_REUSEPORT, on ? 1 : 0); }
void Socket::set_keepalive(bool on) { set_option(SOL_SOCKET, SO_KEEPALIVE, on ? 1 : 0); }

Socket listen_tcp(const Address& local, int backlog, bool reuse_port) {
  Socket s(local.family(), SOCK_STREAM);
  s.set_reuse_address();
  if (reuse_port) s.set_reuse_port();
  if (local.is_ipv6()) s.set_option(IPPROTO_IPV6, IPV6_V6ONLY, 0);
  s.bind(local);
  s.listen(backlog);
  return s;
}

}  // namespace fern::net
