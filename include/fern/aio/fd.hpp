// Awaitable fd I/O for tasks: readiness (readable / writable / wait_fd) and the socket calls on a
// non-blocking descriptor (sock_recv, sock_send, sock_sendall, sock_accept, sock_connect: asyncio's
// loop.sock_* names, which no libc function shares), fern::io_wait for coroutines.
// Each operation tries the system call first and suspends only on EAGAIN, through the hub's
// driver exactly as a greenlet's wait_fd does (the FdWatch and the Waiter live in the task's frame).
//
// Errors: std::system_error with the errno (system_category), Errc::timed_out when `timeout`
// passes, Errc::closed when the fd is closed through fern::close_fd while waited on. End of stream
// is a value: sock_recv returns 0. Descriptors created here (sock_accept) are adopted by the driver.
#pragma once

#include <sys/socket.h>

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <system_error>

#include "fern/aio/detail/suspension.hpp"
#include "fern/aio/task.hpp"
#include "fern/base/clock.hpp"
#include "fern/hub/driver.hpp"
#include "fern/hub/fd_watch.hpp"

namespace fern::aio {

// co_await wait_fd(fd, io_events::readable, timeout): an empty error_code when ready,
// Errc::timed_out or Errc::closed otherwise.
class FdAwaiter {
 public:
  FdAwaiter(int fd, std::uint32_t events, TimePoint deadline) noexcept
      : fd_(fd), events_(events), suspension_(deadline) {}
  FdAwaiter(const FdAwaiter&) = delete;
  FdAwaiter& operator=(const FdAwaiter&) = delete;

  bool await_ready() const noexcept { return false; }
  template <detail::ChainedPromise P>
  bool await_suspend(std::coroutine_handle<P> h) {
    if (suspension_.interrupted(h)) return false;
    if (!watch_.start(suspension_.waiter(), fd_, events_)) return false;  // already known to be ready
    suspension_.suspend(h);
    return true;
  }
  std::error_code await_resume();

 private:
  int fd_;
  std::uint32_t events_;
  detail::Suspension suspension_;
  FdWatch watch_;  // declared last: unlinked before the Waiter in suspension_ goes
};

// The throwing form: co_await readable(fd, 1s).
class FdReadyAwaiter : public FdAwaiter {
 public:
  using FdAwaiter::FdAwaiter;
  void await_resume();
};

inline FdAwaiter wait_fd(int fd, std::uint32_t events, Duration timeout = kForever) noexcept {
  return FdAwaiter(fd, events, deadline_after(timeout));
}
inline FdReadyAwaiter readable(int fd, Duration timeout = kForever) noexcept {
  return FdReadyAwaiter(fd, io_events::readable, deadline_after(timeout));
}
inline FdReadyAwaiter writable(int fd, Duration timeout = kForever) noexcept {
  return FdReadyAwaiter(fd, io_events::writable, deadline_after(timeout));
}

// Receives up to `size` bytes; 0 at end of stream.
Task<std::size_t> sock_recv(int fd, void* buffer, std::size_t size, Duration timeout = kForever);
// Sends some of the bytes (at least one); returns how many.
Task<std::size_t> sock_send(int fd, const void* data, std::size_t size, Duration timeout = kForever);
// Sends all of the bytes; `timeout` bounds the whole call.
Task<void> sock_sendall(int fd, const void* data, std::size_t size, Duration timeout = kForever);
// Accepts a connection: a new non-blocking, close-on-exec descriptor.
Task<int> sock_accept(int listen_fd, Duration timeout = kForever);
// Connects a non-blocking socket.
Task<void> sock_connect(int fd, const sockaddr* address, socklen_t length, Duration timeout = kForever);

}  // namespace fern::aio
