#include "slow_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace fern_test {

SlowServer::SlowServer(Options options) : options_(options) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(listener_, 256) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("SlowServer: cannot listen on 127.0.0.1");
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

SlowServer::~SlowServer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (int fd : connections_) ::shutdown(fd, SHUT_RDWR);
  }
  changed_.notify_all();
  ::shutdown(listener_, SHUT_RDWR);
  acceptor_.join();
  for (std::thread& t : threads_) t.join();
  for (int fd : connections_) ::close(fd);
  ::close(listener_);
}

int SlowServer::peak_outstanding() {
  std::lock_guard lock(mutex_);
  return peak_;
}

int SlowServer::served() {
  std::lock_guard lock(mutex_);
  return served_;
}

void SlowServer::accept_loop() {
  for (;;) {
    int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    std::lock_guard lock(mutex_);
    if (fd < 0 || stopping_) {
      if (fd >= 0) ::close(fd);
      return;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    connections_.push_back(fd);
    threads_.emplace_back([this, fd] { serve(fd); });
  }
}

bool SlowServer::read_request(int fd) {
  const std::string end = options_.protocol == Protocol::http ? "\r\n\r\n" : "\n";
  std::string got;
  char c;
  while (got.size() < end.size() || got.compare(got.size() - end.size(), end.size(), end) != 0) {
    if (::read(fd, &c, 1) != 1) return false;
    got.push_back(c);
  }
  return true;
}

void SlowServer::hold_reply() {
  std::unique_lock lock(mutex_);
  ++outstanding_;
  peak_ = std::max(peak_, outstanding_);
  changed_.notify_all();
  if (options_.barrier > 0) {
    changed_.wait_for(lock, options_.patience, [this] { return stopping_ || peak_ >= options_.barrier; });
  } else if (options_.delay.count() > 0) {
    changed_.wait_for(lock, options_.delay, [this] { return stopping_; });
  }
  --outstanding_;
  ++served_;
}

void SlowServer::serve(int fd) {
  static const std::string http_reply =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";
  while (read_request(fd)) {
    hold_reply();
    const std::string& reply = options_.protocol == Protocol::http ? http_reply : std::string("hello\n");
    if (::write(fd, reply.data(), reply.size()) != static_cast<ssize_t>(reply.size())) break;
  }
}

}  // namespace fern_test
