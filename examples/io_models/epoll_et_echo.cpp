// L5, edge-triggered epoll: the seed's epoll echo server. epoll reports a socket once, when it
// becomes readable (or writable); the server must then drain it to EAGAIN, or it will never hear of
// the remaining bytes. Each connection flips its interest between EPOLLIN (reading) and EPOLLOUT
// (echo pending) with epoll_ctl(MOD), which re-arms the edge: if the socket is already ready, the
// next epoll_wait reports it. The cost of epoll_wait grows with the number of ready sockets, not the
// number registered, so this model scales to many mostly idle connections.
//
//   epoll_et_echo --port N [--max-clients N] [--seconds S]
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_map>

#include "server_common.hpp"

namespace {

struct Connection {
  long id;
  std::string peer;
  std::string output;  // read, not yet echoed
  std::size_t sent = 0;
  long long echoed = 0;
  bool peer_done = false;  // end of stream seen; close once the echo is out
};

class EdgeTriggeredEcho {
 public:
  EdgeTriggeredEcho(int listener, const io_models::Options& options)
      : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)), listener_(listener), options_(options) {
    if (epoll_fd_ < 0) io_models::die("epoll_create1");
    control(EPOLL_CTL_ADD, listener_, EPOLLIN | EPOLLET);
  }

  ~EdgeTriggeredEcho() {
    for (const auto& [fd, c] : connections_) ::close(fd);
    if (listener_ >= 0) ::close(listener_);
    ::close(epoll_fd_);
  }

  bool turn() {
    epoll_event events[256];
    const int count = ::epoll_wait(epoll_fd_, events, 256, -1);
    if (count < 0) {
      if (errno == EINTR) return !io_models::stop_requested();
      io_models::die("epoll_wait");
    }
    for (int i = 0; i < count; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listener_) {
        accept_all();
      } else if (connections_.contains(fd)) {
        on_event(fd, events[i].events);
      }
    }
    const bool done = options_.max_clients > 0 && accepted_ >= options_.max_clients && connections_.empty();
    return !done && !io_models::stop_requested();
  }

  long accepted() const { return accepted_; }

 private:
  void control(int op, int fd, std::uint32_t interest) {
    epoll_event ev{};
    ev.events = interest;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_fd_, op, fd, &ev) < 0) io_models::die("epoll_ctl");
  }

  // Edge-triggered: one report may stand for many pending connections, so accept until EAGAIN.
  void accept_all() {
    for (;;) {
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          std::printf("accept failed: %s\n", std::strerror(errno));
        }
        return;
      }
      Connection& c = connections_[fd];
      c.id = ++accepted_;
      c.peer = io_models::peer_name(fd);
      control(EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLET);
      std::printf("client #%ld %s connected (%zu connections)\n", c.id, c.peer.c_str(), connections_.size());
      if (options_.max_clients > 0 && accepted_ >= options_.max_clients) {
        ::close(listener_);  // also leaves the epoll set
        listener_ = -1;
        return;
      }
    }
  }

  void on_event(int fd, std::uint32_t events) {
    Connection& c = connections_.at(fd);
    if (events & EPOLLERR) return drop(fd, "failed");
    if ((events & EPOLLIN) && !drain(fd, c)) return;
    if ((events & EPOLLOUT) && !flush(fd, c)) return;
    if ((events & EPOLLHUP) && c.output.empty()) drop(fd, "hung up");
  }

  // Reads until EAGAIN (or until the pending echo is large), then asks for EPOLLOUT if there is
  // something to send. False if the connection is gone.
  bool drain(int fd, Connection& c) {
    char buffer[64 * 1024];
    while (c.output.size() < io_models::kMaxPendingOutput) {
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n > 0) {
        c.output.append(buffer, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0) {
        c.peer_done = true;
        break;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      drop(fd, std::strerror(errno));
      return false;
    }
    if (c.output.empty()) {
      if (!c.peer_done) return true;
      drop(fd, "closed");
      return false;
    }
    control(EPOLL_CTL_MOD, fd, EPOLLOUT | EPOLLET);  // stop reading until the echo is out
    return true;
  }

  // Sends until done or EAGAIN; when done, goes back to EPOLLIN. False if the connection is gone.
  bool flush(int fd, Connection& c) {
    while (c.sent < c.output.size()) {
      const ssize_t n = ::send(fd, c.output.data() + c.sent, c.output.size() - c.sent, MSG_NOSIGNAL);
      if (n > 0) {
        c.sent += static_cast<std::size_t>(n);
        c.echoed += n;
        continue;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;  // the next edge comes when there is room
      drop(fd, std::strerror(errno));
      return false;
    }
    c.output.clear();
    c.sent = 0;
    if (c.peer_done) {
      drop(fd, "closed");
      return false;
    }
    control(EPOLL_CTL_MOD, fd, EPOLLIN | EPOLLET);  // MOD re-arms: bytes that came meanwhile are reported
    return true;
  }

  void drop(int fd, const char* why) {
    const Connection& c = connections_.at(fd);
    std::printf("client #%ld %s %s after %lld bytes echoed\n", c.id, c.peer.c_str(), why, c.echoed);
    ::close(fd);  // closing the last reference removes it from the epoll set
    connections_.erase(fd);
  }

  int epoll_fd_;
  int listener_;
  const io_models::Options& options_;
  std::unordered_map<int, Connection> connections_;
  long accepted_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const io_models::Options options = io_models::parse_options(argc, argv);
  io_models::install_stop_handlers(options);
  EdgeTriggeredEcho server(io_models::listen_tcp(options.port, /*nonblocking=*/true), options);
  std::printf(
      "L5 edge-triggered epoll echo listening on 127.0.0.1:%d (drains to EAGAIN, flips EPOLLIN/EPOLLOUT)\n",
      options.port);
  while (server.turn()) {
  }
  std::printf("L5 edge-triggered epoll echo: served %ld clients, exiting\n", server.accepted());
  return 0;
}
