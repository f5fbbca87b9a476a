// L6, I/O multiplexing with select(2): the seed's select server with read and write lists and a
// queue of outgoing messages per connection; every reply is the message upper-cased. One thread
// sleeps in select() until some socket is ready, so it serves many clients without spinning; the
// price is that select() copies both fd sets into the kernel and scans them on every call (cost grows
// with the number of connections, not with the number that are busy), and fds must stay below
// FD_SETSIZE (1024): a connection above that is refused.
//
//   select_upper --port N [--max-clients N] [--seconds S]
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "server_common.hpp"

namespace {

struct Connection {
  long id;
  std::string peer;
  std::deque<std::string> queue;  // replies waiting for the socket to become writable
  std::size_t queued_bytes = 0;
  long long replied = 0;
};

class UpperServer {
 public:
  UpperServer(int listener, const io_models::Options& options) : listener_(listener), options_(options) {}

  // One turn of the loop: wait in select(), then handle what is ready. False when it is time to stop.
  bool turn() {
    fd_set readable, writable;
    const int max_fd = fill_sets(readable, writable);
    if (::select(max_fd + 1, &readable, &writable, nullptr, nullptr) < 0) {
      if (errno == EINTR) return !io_models::stop_requested();
      io_models::die("select");
    }
    if (listener_ >= 0 && FD_ISSET(listener_, &readable)) accept_clients();
    std::vector<int> ready;  // collected first: handlers erase connections
    for (const auto& [fd, c] : connections_) ready.push_back(fd);
    for (int fd : ready) {
      if (FD_ISSET(fd, &readable)) on_readable(fd);
      if (connections_.contains(fd) && FD_ISSET(fd, &writable)) on_writable(fd);
    }
    const bool done = options_.max_clients > 0 && accepted_ >= options_.max_clients && connections_.empty();
    return !done && !io_models::stop_requested();
  }

  long accepted() const { return accepted_; }

  ~UpperServer() {
    for (const auto& [fd, c] : connections_) ::close(fd);
    if (listener_ >= 0) ::close(listener_);
  }

 private:
  // The read list: the listener and every connection whose queue has room; the write list: every
  // connection with a queued reply.
  int fill_sets(fd_set& readable, fd_set& writable) const {
    FD_ZERO(&readable);
    FD_ZERO(&writable);
    int max_fd = listener_;
    if (listener_ >= 0) FD_SET(listener_, &readable);
    for (const auto& [fd, c] : connections_) {
      if (c.queued_bytes < io_models::kMaxPendingOutput) FD_SET(fd, &readable);
      if (!c.queue.empty()) FD_SET(fd, &writable);
      max_fd = std::max(max_fd, fd);
    }
    return max_fd;
  }

  void accept_clients() {
    for (;;) {
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          std::printf("accept failed: %s\n", std::strerror(errno));
        }
        return;
      }
      if (fd >= FD_SETSIZE) {  // FD_SET would write past the set
        std::printf("refusing fd %d: select() cannot watch fds at or above FD_SETSIZE (%d)\n", fd,
                    FD_SETSIZE);
        ::close(fd);
        continue;
      }
      Connection& c = connections_[fd];
      c.id = ++accepted_;
      c.peer = io_models::peer_name(fd);
      std::printf("client #%ld %s connected (%zu in the read list)\n", c.id, c.peer.c_str(),
                  connections_.size());
      if (options_.max_clients > 0 && accepted_ >= options_.max_clients) {
        ::close(listener_);  // accept no more; exit when these leave
        listener_ = -1;
        return;
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
    std::string reply(buffer, static_cast<std::size_t>(n));
    io_models::upper_case(reply);
    Connection& c = connections_.at(fd);
    c.queued_bytes += reply.size();
    c.queue.push_back(std::move(reply));
  }

  void on_writable(int fd) {
    Connection& c = connections_.at(fd);
    std::string& front = c.queue.front();
    const ssize_t n = ::send(fd, front.data(), front.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      return drop(fd, std::strerror(errno));
    }
    c.queued_bytes -= static_cast<std::size_t>(n);
    c.replied += n;
    if (static_cast<std::size_t>(n) == front.size()) {
      c.queue.pop_front();  // an empty queue takes the socket off the write list
    } else {
      front.erase(0, static_cast<std::size_t>(n));
    }
  }

  // Removes the connection from both lists and its queue, then closes it.
  void drop(int fd, const char* why) {
    const Connection& c = connections_.at(fd);
    std::printf("client #%ld %s %s after %lld bytes replied; removed from the lists\n", c.id, c.peer.c_str(),
                why, c.replied);
    ::close(fd);
    connections_.erase(fd);
  }

  int listener_;
  const io_models::Options& options_;
  std::map<int, Connection> connections_;
  long accepted_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const io_models::Options options = io_models::parse_options(argc, argv);
  io_models::install_stop_handlers(options);
  UpperServer server(io_models::listen_tcp(options.port, /*nonblocking=*/true), options);
  std::printf(
      "L6 select upper-case server listening on 127.0.0.1:%d (select with read/write lists and reply "
      "queues)\n",
      options.port);
  while (server.turn()) {
  }
  std::printf("L6 select upper-case server: served %ld clients, exiting\n", server.accepted());
  return 0;
}
