#include "fern/process/pipe.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <utility>

#include "fern/base/error.hpp"
#include "fern/hub/driver.hpp"
#include "fern/hub/io_wait.hpp"

namespace fern::subprocess {

namespace {

std::error_code last_error() noexcept {
  if (errno == EAGAIN || errno == EWOULDBLOCK) return make_error_code(Errc::would_block);
  return {errno, std::system_category()};
}

TimePoint deadline_of(Duration timeout) noexcept {
  return timeout == kForever ? TimePoint::max() : deadline_after(timeout);
}

void wait_or_throw(int fd, std::uint32_t events, TimePoint deadline, const char* what) {
  if (std::error_code ec = wait_fd(fd, events, deadline)) throw_error(ec, what);
}

// write(2) with SIGPIPE held back: blocked around the call, and the instance the call raised (if
// it raised one) taken off the pending set, so the caller gets EPIPE and nothing else happens.
// A SIGPIPE that was already pending before the write is left alone.
ssize_t write_without_sigpipe(int fd, const void* data, std::size_t size) noexcept {
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  sigset_t before;
  ::pthread_sigmask(SIG_BLOCK, &pipe_only, &before);
  sigset_t pending;
  sigpending(&pending);
  bool already_pending = sigismember(&pending, SIGPIPE) == 1;
  ssize_t n;
  do {
    n = ::write(fd, data, size);
  } while (n < 0 && errno == EINTR);
  int saved = errno;
  if (n < 0 && saved == EPIPE && !already_pending) {
    timespec no_wait{};
    while (sigtimedwait(&pipe_only, nullptr, &no_wait) < 0 && errno == EINTR) {
    }
  }
  ::pthread_sigmask(SIG_SETMASK, &before, nullptr);
  errno = saved;
  return n;
}

}  // namespace

PipeEnd::PipeEnd(PipeEnd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

PipeEnd& PipeEnd::operator=(PipeEnd&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

std::size_t PipeEnd::read_some(void* data, std::size_t size, std::error_code& ec) noexcept {
  ec.clear();
  for (;;) {
    ssize_t n = ::read(fd_, data, size);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    ec = last_error();
    return 0;
  }
}

std::size_t PipeEnd::write_some(const void* data, std::size_t size, std::error_code& ec) noexcept {
  ec.clear();
  ssize_t n = write_without_sigpipe(fd_, data, size);
  if (n >= 0) return static_cast<std::size_t>(n);
  ec = last_error();
  return 0;
}

std::size_t PipeEnd::read(void* data, std::size_t size, Duration timeout) {
  TimePoint deadline = deadline_of(timeout);
  for (;;) {
    std::error_code ec;
    std::size_t n = read_some(data, size, ec);
    if (!ec) return n;
    if (ec != Errc::would_block) throw_error(ec, "fern: reading a pipe");
    wait_or_throw(fd_, io_events::readable, deadline, "fern: reading a pipe");
  }
}

std::string PipeEnd::read_all(Duration timeout) {
  TimePoint deadline = deadline_of(timeout);
  std::string out;
  constexpr std::size_t kChunk = 64 * 1024;  // a default pipe's whole buffer per read
  for (;;) {
    std::size_t old_size = out.size();
    out.resize(old_size + kChunk);
    std::error_code ec;
    std::size_t n = read_some(out.data() + old_size, kChunk, ec);
    out.resize(old_size + n);
    if (!ec && n == 0) return out;
    if (!ec) continue;
    if (ec != Errc::would_block) throw_error(ec, "fern: reading a pipe");
    wait_or_throw(fd_, io_events::readable, deadline, "fern: reading a pipe");
  }
}

void PipeEnd::write_all(std::string_view data, Duration timeout) {
  TimePoint deadline = deadline_of(timeout);
  while (!data.empty()) {
    std::error_code ec;
    data.remove_prefix(write_some(data.data(), data.size(), ec));
    if (!ec) continue;
    if (ec != Errc::would_block) throw_error(ec, "fern: writing a pipe");
    wait_or_throw(fd_, io_events::writable, deadline, "fern: writing a pipe");
  }
}

void PipeEnd::close() noexcept {
  if (fd_ >= 0) close_fd(std::exchange(fd_, -1));
}

int PipeEnd::release() noexcept { return std::exchange(fd_, -1); }

Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) throw_errno("fern: pipe2");
  adopt_fd(fds[0]);
  adopt_fd(fds[1]);
  return Pipe{PipeEnd(fds[0]), PipeEnd(fds[1])};
}

}  // namespace fern::subprocess
