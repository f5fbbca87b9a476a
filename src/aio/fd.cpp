#include "fern/aio/fd.hpp"

#include <errno.h>
#include <sys/socket.h>

#include "fern/base/error.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/io_wait.hpp"

namespace fern::aio {

std::error_code FdAwaiter::await_resume() {
  watch_.stop();
  if (!suspension_.resume()) return make_error_code(Errc::timed_out);
  return watch_.result();
}

void FdReadyAwaiter::await_resume() {
  std::error_code ec = FdAwaiter::await_resume();
  if (ec) throw_error(ec, "fern: waiting for a descriptor");
}

namespace {

bool would_block(int error) noexcept { return error == EAGAIN || error == EWOULDBLOCK; }

// Suspends until `fd` has `events` or `deadline`; throws on timeout or close.
FdReadyAwaiter ready(int fd, std::uint32_t events, TimePoint deadline) {
  return FdReadyAwaiter(fd, events, deadline);
}

}  // namespace

Task<std::size_t> sock_recv(int fd, void* buffer, std::size_t size, Duration timeout) {
  const TimePoint deadline = deadline_after(timeout);
  for (;;) {
    ssize_t n = ::recv(fd, buffer, size, 0);
    if (n >= 0) co_return static_cast<std::size_t>(n);
    if (would_block(errno)) {
      co_await ready(fd, io_events::readable, deadline);
    } else if (errno != EINTR) {
      throw_errno("fern: recv");
    }
  }
}

Task<std::size_t> sock_send(int fd, const void* data, std::size_t size, Duration timeout) {
  const TimePoint deadline = deadline_after(timeout);
  for (;;) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n >= 0) co_return static_cast<std::size_t>(n);
    if (would_block(errno)) {
      co_await ready(fd, io_events::writable, deadline);
    } else if (errno != EINTR) {
      throw_errno("fern: send");
    }
  }
}

Task<void> sock_sendall(int fd, const void* data, std::size_t size, Duration timeout) {
  const TimePoint deadline = deadline_after(timeout);
  auto* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::send(fd, p, size, MSG_NOSIGNAL);
    if (n >= 0) {
      p += n;
      size -= static_cast<std::size_t>(n);
    } else if (would_block(errno)) {
      co_await ready(fd, io_events::writable, deadline);
    } else if (errno != EINTR) {
      throw_errno("fern: send");
    }
  }
}

Task<int> sock_accept(int listen_fd, Duration timeout) {
  const TimePoint deadline = deadline_after(timeout);
  for (;;) {
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      adopt_fd(fd);
      co_return fd;
    }
    if (would_block(errno)) {
      co_await ready(listen_fd, io_events::readable, deadline);
    } else if (errno != EINTR && errno != ECONNABORTED) {
      throw_errno("fern: accept");
    }
  }
}

Task<void> sock_connect(int fd, const sockaddr* address, socklen_t length, Duration timeout) {
  if (::connect(fd, address, length) == 0) co_return;
  if (errno != EINPROGRESS && errno != EINTR) throw_errno("fern: connect");
  co_await ready(fd, io_events::writable, deadline_after(timeout));
  int error = 0;
  socklen_t len = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) throw_errno("fern: connect");
  if (error != 0) throw std::system_error(error, std::system_category(), "fern: connect");
}

}  // namespace fern::aio
