// L9, select(2) over two listening sockets: the seed's server on ports 8080 and 8081, one thread.
// Whichever port a client arrives on, the same select() call notices it; each client is greeted with
// the port it reached ("i am server on port P") and its messages are echoed back, also multiplexed
// by the same select() call.
//
//   select_two_ports [--port 8080] [--port2 8081] [--max-clients N] [--seconds S]
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "server_common.hpp"

namespace {

struct Listener {
  int fd;
  int port;
};

struct Connection {
  long id;
  int port;
  std::string peer;
  std::string output;
};

class TwoPortServer {
 public:
  TwoPortServer(const io_models::Options& options)
      : listeners_{{{io_models::listen_tcp(options.port, true), options.port},
                    {io_models::listen_tcp(options.port2, true), options.port2}}},
        options_(options) {}

  ~TwoPortServer() {
    for (const auto& [fd, c] : connections_) ::close(fd);
    for (const Listener& l : listeners_) {
      if (l.fd >= 0) ::close(l.fd);
    }
  }

  bool turn() {
    fd_set readable, writable;
    FD_ZERO(&readable);
    FD_ZERO(&writable);
    int max_fd = -1;
    for (const Listener& l : listeners_) {
      if (l.fd < 0) continue;
      FD_SET(l.fd, &readable);
      max_fd = std::max(max_fd, l.fd);
    }
    for (const auto& [fd, c] : connections_) {
      if (c.output.size() < io_models::kMaxPendingOutput) FD_SET(fd, &readable);
      if (!c.output.empty()) FD_SET(fd, &writable);
      max_fd = std::max(max_fd, fd);
    }
    if (::select(max_fd + 1, &readable, &writable, nullptr, nullptr) < 0) {
      if (errno == EINTR) return !io_models::stop_requested();
      io_models::die("select");
    }
    for (Listener& l : listeners_) {
      if (l.fd >= 0 && FD_ISSET(l.fd, &readable)) accept_client(l);
    }
    std::vector<int> fds;
    for (const auto& [fd, c] : connections_) fds.push_back(fd);
    for (int fd : fds) {
      if (FD_ISSET(fd, &readable)) on_readable(fd);
      if (connections_.contains(fd) && FD_ISSET(fd, &writable)) flush(fd);
    }
    const bool done = options_.max_clients > 0 && accepted_ >= options_.max_clients && connections_.empty();
    return !done && !io_models::stop_requested();
  }

  long accepted() const { return accepted_; }

 private:
  void accept_client(Listener& l) {
    const int fd = ::accept4(l.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN: another process or a reset took it
    if (fd >= FD_SETSIZE) {
      std::printf("refusing fd %d: at or above FD_SETSIZE\n", fd);
      ::close(fd);
      return;
    }
    Connection& c = connections_[fd];
    c.id = ++accepted_;
    c.port = l.port;
    c.peer = io_models::peer_name(fd);
    c.output = "i am server on port " + std::to_string(l.port) + "\n";
    std::printf("port %d: client #%ld %s connected\n", l.port, c.id, c.peer.c_str());
    if (options_.max_clients > 0 && accepted_ >= options_.max_clients) {
      for (Listener& each : listeners_) {
        ::close(each.fd);
        each.fd = -1;
      }
    }
  }

  void on_readable(int fd) {
    char buffer[64 * 1024];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n == 0) return drop(fd, "closed");
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      return drop(fd, std::strerror(errno));
    }
    connections_.at(fd).output.append(buffer, static_cast<std::size_t>(n));
  }

  void flush(int fd) {
    std::string& output = connections_.at(fd).output;
    const ssize_t n = ::send(fd, output.data(), output.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      return drop(fd, std::strerror(errno));
    }
    output.erase(0, static_cast<std::size_t>(n));
  }

  void drop(int fd, const char* why) {
    const Connection& c = connections_.at(fd);
    std::printf("port %d: client #%ld %s %s\n", c.port, c.id, c.peer.c_str(), why);
    ::close(fd);
    connections_.erase(fd);
  }

  std::array<Listener, 2> listeners_;
  const io_models::Options& options_;
  std::map<int, Connection> connections_;
  long accepted_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const io_models::Options options = io_models::parse_options(argc, argv, " [--port2 N]");
  if (options.port == options.port2) {
    std::fprintf(stderr, "%s: --port and --port2 must differ\n", argv[0]);
    return 2;
  }
  io_models::install_stop_handlers(options);
  TwoPortServer server(options);
  std::printf("L9 select over two ports listening on 127.0.0.1:%d and 127.0.0.1:%d (one thread)\n",
              options.port, options.port2);
  while (server.turn()) {
  }
  std::printf("L9 select over two ports: served %ld clients, exiting\n", server.accepted());
  return 0;
}
