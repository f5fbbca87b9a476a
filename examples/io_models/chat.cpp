// L10, the seed's "talk" server on select(2): clients send lines, the operator at the server answers.
// One select() call watches the listening socket, every client and the operator's stdin, so the
// server never blocks on input() as the seed does: while the operator types, other clients are still
// accepted and heard. Each operator line goes to the client that spoke last (the seed's "answer
// client N>>>" prompt); with no one to answer, the line is dropped with a note. stdin may be a TTY or
// a pipe; at end of stdin the server keeps serving without an operator.
//
//   chat --port N [--max-clients N] [--seconds S]
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "server_common.hpp"

namespace {

struct Client {
  long id;
  std::string peer;
  std::string output;  // operator answers not yet sent
};

class ChatServer {
 public:
  ChatServer(int listener, const io_models::Options& options) : listener_(listener), options_(options) {}

  ~ChatServer() {
    for (const auto& [fd, c] : clients_) ::close(fd);
    if (listener_ >= 0) ::close(listener_);
  }

  bool turn() {
    fd_set readable, writable;
    FD_ZERO(&readable);
    FD_ZERO(&writable);
    int max_fd = -1;
    for (int fd : {listener_, operator_fd_}) {
      if (fd < 0) continue;
      FD_SET(fd, &readable);
      max_fd = std::max(max_fd, fd);
    }
    for (const auto& [fd, c] : clients_) {
      FD_SET(fd, &readable);
      if (!c.output.empty()) FD_SET(fd, &writable);
      max_fd = std::max(max_fd, fd);
    }
    if (::select(max_fd + 1, &readable, &writable, nullptr, nullptr) < 0) {
      if (errno == EINTR) return !io_models::stop_requested();
      io_models::die("select");
    }
    if (listener_ >= 0 && FD_ISSET(listener_, &readable)) accept_client();
    if (operator_fd_ >= 0 && FD_ISSET(operator_fd_, &readable)) read_operator();
    std::vector<int> fds;
    for (const auto& [fd, c] : clients_) fds.push_back(fd);
    for (int fd : fds) {
      if (FD_ISSET(fd, &readable)) hear(fd);
      if (clients_.contains(fd) && FD_ISSET(fd, &writable)) flush(fd);
    }
    const bool done = options_.max_clients > 0 && accepted_ >= options_.max_clients && clients_.empty();
    return !done && !io_models::stop_requested();
  }

  long accepted() const { return accepted_; }

 private:
  void accept_client() {
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    if (fd >= FD_SETSIZE) {
      std::printf("refusing fd %d: at or above FD_SETSIZE\n", fd);
      ::close(fd);
      return;
    }
    Client& c = clients_[fd];
    c.id = ++accepted_;
    c.peer = io_models::peer_name(fd);
    std::printf("client %ld %s joined\n", c.id, c.peer.c_str());
    if (options_.max_clients > 0 && accepted_ >= options_.max_clients) {
      ::close(listener_);
      listener_ = -1;
    }
  }

  // A client spoke: show it and make it the one the operator answers next.
  void hear(int fd) {
    char buffer[4096];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n == 0) return drop(fd, "left");
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      return drop(fd, std::strerror(errno));
    }
    std::string text(buffer, static_cast<std::size_t>(n));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    const Client& c = clients_.at(fd);
    last_speaker_ = fd;
    std::printf("client %ld says: %s\n", c.id, text.c_str());
    std::printf("answer client %ld>>> \n", c.id);
  }

  void read_operator() {
    char buffer[4096];
    const ssize_t n = ::read(operator_fd_, buffer, sizeof buffer);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) return;
      std::printf("operator's stdin closed; still serving clients\n");
      operator_fd_ = -1;
      return;
    }
    pending_line_.append(buffer, static_cast<std::size_t>(n));
    for (std::size_t end; (end = pending_line_.find('\n')) != std::string::npos;) {
      answer(pending_line_.substr(0, end + 1));
      pending_line_.erase(0, end + 1);
    }
  }

  void answer(const std::string& line) {
    auto it = clients_.find(last_speaker_);
    if (it == clients_.end()) {
      std::printf("no client to answer; dropped the operator's line\n");
      return;
    }
    it->second.output += line;
    std::printf("operator -> client %ld: %.*s\n", it->second.id, static_cast<int>(line.size() - 1),
                line.c_str());
  }

  void flush(int fd) {
    std::string& output = clients_.at(fd).output;
    const ssize_t n = ::send(fd, output.data(), output.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      return drop(fd, std::strerror(errno));
    }
    output.erase(0, static_cast<std::size_t>(n));
  }

  void drop(int fd, const char* why) {
    std::printf("client %ld %s (%s)\n", clients_.at(fd).id, why, clients_.at(fd).peer.c_str());
    ::close(fd);
    clients_.erase(fd);
    if (last_speaker_ == fd) last_speaker_ = -1;
  }

  int listener_;
  int operator_fd_ = STDIN_FILENO;
  const io_models::Options& options_;
  std::map<int, Client> clients_;
  int last_speaker_ = -1;
  std::string pending_line_;  // operator input up to the next newline
  long accepted_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const io_models::Options options = io_models::parse_options(argc, argv);
  io_models::install_stop_handlers(options);
  ChatServer server(io_models::listen_tcp(options.port, /*nonblocking=*/true), options);
  std::printf(
      "L10 chat server listening on 127.0.0.1:%d (select over the listener, clients and stdin; type a line "
      "to answer the client who spoke last)\n",
      options.port);
  while (server.turn()) {
  }
  std::printf("L10 chat server: %ld clients joined, exiting\n", server.accepted());
  return 0;
}
