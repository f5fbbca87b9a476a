#include "tour_net.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "fern/base/error.hpp"
#include "fern/hub/io_wait.hpp"
#include "fern/hub/sleep.hpp"

extern char** environ;

namespace tour {
namespace {

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

void print_lines(int fd) {
  std::string pending;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      pending.append(buf, static_cast<std::size_t>(n));
      std::size_t nl;
      while ((nl = pending.find('\n')) != std::string::npos) {
        std::printf("    | %s\n", pending.substr(0, nl).c_str());
        pending.erase(0, nl + 1);
      }
      std::fflush(stdout);
    } else if (n == 0) {
      if (!pending.empty()) std::printf("    | %s\n", pending.c_str());
      return;
    } else if (errno == EAGAIN) {
      if (fern::wait_fd(fd, fern::io_events::readable, fern::TimePoint::max())) return;
    } else if (errno != EINTR) {
      return;
    }
  }
}

}  // namespace

ServerProcess::ServerProcess(const std::string& path, const std::vector<std::string>& args, bool pipe_stdin) {
  std::string full = std::string(FERN_EXAMPLES_DIR) + "/" + path;
  std::vector<std::string> copies(args);
  std::vector<char*> argv{full.data()};
  for (std::string& a : copies) argv.push_back(a.data());
  argv.push_back(nullptr);
  int out[2], in[2] = {-1, -1};
  if (::pipe2(out, O_CLOEXEC) != 0) fern::throw_errno("pipe");
  if (pipe_stdin && ::pipe2(in, O_CLOEXEC) != 0) fern::throw_errno("pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out[1], 2);
  if (pipe_stdin) posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  int rc = posix_spawn(&pid_, full.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (pipe_stdin) ::close(in[0]);
  if (rc != 0) throw std::system_error(rc, std::system_category(), "cannot start " + full);
  out_ = out[0];
  in_ = in[1];
  set_nonblocking(out_);
  fern::adopt_fd(out_);
  printer_ = fern::spawn(print_lines, out_);
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) stop();
}

void ServerProcess::write_stdin(const std::string& text) {
  if (in_ >= 0 && ::write(in_, text.data(), text.size()) < 0) fern::throw_errno("write to server stdin");
}

int ServerProcess::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  if (in_ >= 0) ::close(in_);
  in_ = -1;
  printer_->join(std::chrono::seconds(10));
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  fern::close_fd(out_);
  out_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

int connect_local(int port, fern::Duration timeout) {
  fern::TimePoint deadline = fern::deadline_after(timeout);
  for (;;) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    fern::adopt_fd(fd);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    if (rc != 0 && errno == EINPROGRESS) {
      fern::wait_writable(fd, std::chrono::seconds(5));
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
    }
    if (rc == 0) return fd;
    fern::close_fd(fd);
    if (fern::Clock::now() > deadline)
      fern::throw_error(fern::Errc::timed_out, "server did not start listening");
    fern::sleep(std::chrono::milliseconds(20));
  }
}

void send_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<std::size_t>(n);
    } else if (errno == EAGAIN) {
      fern::wait_writable(fd, std::chrono::seconds(10));
    } else if (errno != EINTR) {
      fern::throw_errno("send");
    }
  }
}

std::string recv_exact(int fd, std::size_t n, fern::Duration timeout) {
  std::string out;
  out.resize(n);
  std::size_t got = 0;
  fern::TimePoint deadline = fern::deadline_after(timeout);
  while (got < n) {
    ssize_t r = ::recv(fd, out.data() + got, n - got, 0);
    if (r > 0) {
      got += static_cast<std::size_t>(r);
    } else if (r == 0) {
      fern::throw_error(fern::Errc::closed, "server closed the connection early");
    } else if (errno == EAGAIN) {
      std::error_code ec = fern::wait_fd(fd, fern::io_events::readable, deadline);
      if (ec) fern::throw_error(ec, "waiting for the server's reply");
    } else if (errno != EINTR) {
      fern::throw_errno("recv");
    }
  }
  return out;
}

void close_socket(int fd) { fern::close_fd(fd); }

}  // namespace tour
