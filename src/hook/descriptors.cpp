// Descriptors: creating sockets (owned by the hook when made in a greenlet), connecting and
// accepting without blocking the hub, the user's view of O_NONBLOCK, SO_RCVTIMEO/SO_SNDTIMEO, and
// close/dup, which must wake or inform the waits on a descriptor number.
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>

#include <cerrno>

#include <fern/hub/driver.hpp>
#include <fern/hub/io_wait.hpp>

#include "arguments.hpp"
#include "cooperation.hpp"
#include "fd_table.hpp"
#include "hooked_calls.hpp"
#include "real_calls.hpp"

namespace fern::hook {

namespace {

FdTable& table() { return FdTable::instance(); }

bool owned_blocking(const FdState* st) noexcept {
  return st && st->owned.load(std::memory_order_relaxed) &&
         !st->user_nonblock.load(std::memory_order_relaxed);
}

// A descriptor just made by a call the hook did not steer (outside any greenlet): nothing is known.
int forget_new(int fd) noexcept {
  if (fd >= 0 && patched()) table().reset(fd);
  return fd;
}

void adopt_in_driver(int fd) noexcept {
  if (Hub* hub = cooperative_hub()) hub->driver().forget_fd(fd);
}

// The socket error a non-blocking connect ended with, as its blocking form returns it.
int connect_result(int fd) noexcept {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return -1;
  if (err != 0) {
    errno = err;
    return -1;
  }
  return 0;
}

// Outside a greenlet, on a socket the hook made non-blocking: wait in the kernel.
int connect_emulated(int fd, const sockaddr* addr, socklen_t len, const FdState& st) noexcept {
  if (real().connect(fd, addr, len) == 0) return 0;
  if (errno != EINPROGRESS) return -1;
  pollfd p{fd, POLLOUT, 0};
  int n = real().poll(&p, 1, poll_timeout_ms(deadline_from_ns(st.send_timeout_ns.load())));
  if (n == 0) errno = EINPROGRESS;  // what a blocking connect reports when SO_SNDTIMEO passes
  return n > 0 ? connect_result(fd) : -1;
}

int connect_cooperative(int fd, const sockaddr* addr, socklen_t len, const FdState& st) noexcept {
  // A foreign blocking socket is non-blocking only for the length of the connect.
  const bool toggled = !st.owned.load(std::memory_order_relaxed) && set_kernel_nonblock(fd, true);
  struct Restore {
    int fd;
    bool on;
    ~Restore() {
      if (on) set_kernel_nonblock(fd, false);
    }
  } restore{fd, toggled};
  TimePoint deadline = deadline_from_ns(st.send_timeout_ns.load(std::memory_order_relaxed));
  for (;;) {
    if (real().connect(fd, addr, len) == 0) return 0;
    // EAGAIN: a Unix socket whose listener's backlog is full; wait and try again.
    if (errno != EINPROGRESS && errno != EAGAIN) return -1;
    const bool retry = errno == EAGAIN;
    switch (wait_ready(fd, io_events::writable, deadline)) {
      case Readiness::ready:
        if (retry) continue;
        return connect_result(fd);
      case Readiness::timed_out: errno = retry ? EAGAIN : EINPROGRESS; return -1;
      case Readiness::closed: errno = EBADF; return -1;
      case Readiness::failed: return -1;
    }
  }
}

int accept_attempt(int fd, sockaddr* addr, socklen_t* len, int flags, bool make_owned) noexcept {
  int client = real().accept4(fd, addr, len, make_owned ? flags | SOCK_NONBLOCK : flags);
  if (client < 0) return client;
  if (!make_owned) return forget_new(client);
  table().adopt_owned_socket(client, (flags & SOCK_NONBLOCK) != 0);
  adopt_in_driver(client);
  return client;
}

int accept_cooperative(int fd, sockaddr* addr, socklen_t* len, int flags, const FdState& st) noexcept {
  TimePoint deadline = deadline_from_ns(st.recv_timeout_ns.load(std::memory_order_relaxed));
  const bool owned = st.owned.load(std::memory_order_relaxed);
  for (;;) {
    if (owned) {
      int client = accept_attempt(fd, addr, len, flags, true);
      if (client >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return client;
    } else {
      // A foreign listener keeps its flags: accept once poll says a connection is waiting.
      pollfd p{fd, POLLIN, 0};
      int saved = errno;
      if (real().poll(&p, 1, 0) != 0) return accept_attempt(fd, addr, len, flags, true);
      errno = saved;
    }
    switch (wait_ready(fd, io_events::readable, deadline)) {
      case Readiness::ready: continue;
      case Readiness::timed_out: errno = EAGAIN; return -1;
      case Readiness::closed: errno = EBADF; return -1;
      case Readiness::failed: return -1;
    }
  }
}

void store_timeout(FdState& st, int name, const void* value, socklen_t len) noexcept {
  if (len < static_cast<socklen_t>(sizeof(timeval)) || !value) return;
  const auto* tv = static_cast<const timeval*>(value);
  // The kernel takes any tv_sec (a huge one means forever): saturate rather than overflow.
  const std::int64_t ns = duration_of(*tv).count();
  (name == SO_RCVTIMEO ? st.recv_timeout_ns : st.send_timeout_ns).store(ns, std::memory_order_relaxed);
}

}  // namespace

int hooked_socket(int domain, int type, int protocol) {
  if (!cooperative_hub()) return forget_new(real().socket(domain, type, protocol));
  int fd = real().socket(domain, type | SOCK_NONBLOCK, protocol);
  if (fd < 0) return fd;
  table().adopt_owned_socket(fd, (type & SOCK_NONBLOCK) != 0);
  adopt_in_driver(fd);
  return fd;
}

int hooked_socketpair(int domain, int type, int protocol, int fds[2]) {
  if (!cooperative_hub()) {
    int r = real().socketpair(domain, type, protocol, fds);
    if (r == 0) forget_new(fds[0]), forget_new(fds[1]);
    return r;
  }
  int r = real().socketpair(domain, type | SOCK_NONBLOCK, protocol, fds);
  if (r != 0) return r;
  for (int i = 0; i < 2; ++i) {
    table().adopt_owned_socket(fds[i], (type & SOCK_NONBLOCK) != 0);
    adopt_in_driver(fds[i]);
  }
  return 0;
}

int hooked_connect(int fd, const sockaddr* addr, socklen_t len) {
  if (!patched()) return real().connect(fd, addr, len);
  FdState* st = table().find(fd);
  if (!cooperative_hub()) {
    return owned_blocking(st) ? connect_emulated(fd, addr, len, *st) : real().connect(fd, addr, len);
  }
  if (fail_if_interrupted()) return -1;
  if (!st || classify(fd, *st) != FdKind::socket || st->user_nonblock.load(std::memory_order_relaxed))
    return real().connect(fd, addr, len);
  return connect_cooperative(fd, addr, len, *st);
}

int hooked_accept4(int fd, sockaddr* addr, socklen_t* len, int flags) {
  if (!patched()) return real().accept4(fd, addr, len, flags);
  FdState* st = table().find(fd);
  if (!cooperative_hub()) {
    if (!owned_blocking(st)) return forget_new(real().accept4(fd, addr, len, flags));
    pollfd p{fd, POLLIN, 0};
    TimePoint deadline = deadline_from_ns(st->recv_timeout_ns.load());
    for (;;) {
      int client = real().accept4(fd, addr, len, flags);
      if (client >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return forget_new(client);
      int n = real().poll(&p, 1, poll_timeout_ms(deadline));
      if (n <= 0) return n == 0 ? (errno = EAGAIN, -1) : -1;
    }
  }
  if (fail_if_interrupted()) return -1;
  if (!st || classify(fd, *st) != FdKind::socket) return forget_new(real().accept4(fd, addr, len, flags));
  if (st->user_nonblock.load(std::memory_order_relaxed)) return accept_attempt(fd, addr, len, flags, true);
  return accept_cooperative(fd, addr, len, flags, *st);
}

int hooked_close(int fd) {
  if (patched()) {
    // Greenlets of this thread parked on fd wake with EBADF instead of waiting forever.
    if (Hub* hub = cooperative_hub()) hub->driver().close_fd(fd);
    table().reset(fd);
  }
  return real().close(fd);
}

int hooked_dup(int fd) {
  int copy = real().dup(fd);
  if (copy >= 0 && patched()) {
    table().copy(fd, copy);
    adopt_in_driver(copy);
  }
  return copy;
}

int hooked_dup3(int fd, int target, int flags, bool is_dup2) {
  if (!patched()) return is_dup2 ? real().dup2(fd, target) : real().dup3(fd, target, flags);
  if (fd != target) {
    if (Hub* hub = cooperative_hub()) hub->driver().close_fd(target);  // target is closed by the call
  }
  int r = is_dup2 ? real().dup2(fd, target) : real().dup3(fd, target, flags);
  if (r >= 0 && fd != target) table().copy(fd, target);
  return r;
}

int hooked_fcntl(int fd, int cmd, va_list args, bool large) {
  auto call = large ? real().fcntl64 : real().fcntl;
  void* arg = va_arg(args, void*);  // glibc reads every argument this way, whatever its type
  if (!patched()) return call(fd, cmd, arg);
  FdState* st = table().find(fd);
  const bool owned = st && st->owned.load(std::memory_order_relaxed);
  switch (cmd) {
    case F_GETFL: {
      int flags = call(fd, cmd);
      if (flags < 0 || !owned) return flags;
      return (flags & ~O_NONBLOCK) | (st->user_nonblock.load(std::memory_order_relaxed) ? O_NONBLOCK : 0);
    }
    case F_SETFL: {
      int flags = static_cast<int>(reinterpret_cast<std::intptr_t>(arg));
      int r = call(fd, cmd, owned ? flags | O_NONBLOCK : flags);  // an owned socket stays non-blocking
      if (r == 0 && st && st->kind.load(std::memory_order_relaxed) != FdKind::unknown)
        st->user_nonblock.store((flags & O_NONBLOCK) != 0, std::memory_order_relaxed);
      return r;
    }
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
      int copy = call(fd, cmd, arg);
      if (copy >= 0) {
        table().copy(fd, copy);
        adopt_in_driver(copy);
      }
      return copy;
    }
    default: return call(fd, cmd, arg);
  }
}

int hooked_ioctl(int fd, unsigned long request, va_list args) {
  void* arg = va_arg(args, void*);
  if (!patched() || request != FIONBIO || !arg) return real().ioctl(fd, request, arg);
  FdState* st = table().find(fd);
  const bool want = *static_cast<int*>(arg) != 0;
  if (st && st->owned.load(std::memory_order_relaxed)) {
    int on = 1;  // the kernel side of an owned socket stays non-blocking
    int r = real().ioctl(fd, FIONBIO, &on);
    if (r == 0) st->user_nonblock.store(want, std::memory_order_relaxed);
    return r;
  }
  int r = real().ioctl(fd, request, arg);
  if (r == 0 && st && st->kind.load(std::memory_order_relaxed) != FdKind::unknown)
    st->user_nonblock.store(want, std::memory_order_relaxed);
  return r;
}

int hooked_setsockopt(int fd, int level, int name, const void* value, socklen_t len) {
  int r = real().setsockopt(fd, level, name, value, len);
  if (r == 0 && patched() && level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
    if (FdState* st = table().find(fd)) store_timeout(*st, name, value, len);
  }
  return r;
}

}  // namespace fern::hook
