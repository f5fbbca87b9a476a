// Data transfer: read/write and the socket send/recv family. Each call is tried first; only when
// it would block does the greenlet park on the descriptor, then it tries again.
#include <poll.h>

#include <cerrno>

#include <fern/hook/monkey.hpp>
#include <fern/hub/driver.hpp>

#include "cooperation.hpp"
#include "fd_table.hpp"
#include "hooked_calls.hpp"
#include "real_calls.hpp"

namespace fern::hook {

namespace {

enum class Direction { in, out };

std::uint32_t events_of(Direction dir) noexcept {
  return dir == Direction::in ? io_events::readable : io_events::writable;
}

bool would_block(ssize_t r) noexcept { return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK); }

TimePoint deadline_for(const FdState& st, Direction dir) noexcept {
  const auto& ns = dir == Direction::in ? st.recv_timeout_ns : st.send_timeout_ns;
  return deadline_from_ns(ns.load(std::memory_order_relaxed));
}

// poll(2) with a zero timeout: may a foreign, blocking descriptor be used without blocking?
bool ready_now(int fd, Direction dir) noexcept {
  int saved = errno;
  pollfd p{fd, static_cast<short>(dir == Direction::in ? POLLIN : POLLOUT), 0};
  int r = real().poll(&p, 1, 0);
  errno = saved;
  return r != 0;  // ready, or an error the call itself will report
}

// Parks until `fd` is ready; false with errno set as the blocking call would (EAGAIN when its
// SO_RCVTIMEO/SO_SNDTIMEO passed, EBADF when it was closed meanwhile).
bool park_until_ready(int fd, Direction dir, TimePoint deadline) noexcept {
  switch (wait_ready(fd, events_of(dir), deadline)) {
    case Readiness::ready: return true;
    case Readiness::timed_out: errno = EAGAIN; return false;
    case Readiness::closed: errno = EBADF; return false;
    case Readiness::failed: return false;
  }
  return false;
}

// A blocking call on a descriptor the hook made non-blocking, outside any greenlet: wait in the
// kernel, as libc would have.
template <class Attempt>
ssize_t emulate_blocking(int fd, Direction dir, const FdState& st, Attempt& attempt) {
  TimePoint deadline = deadline_for(st, dir);
  for (;;) {
    ssize_t r = attempt(false, 0);
    if (!would_block(r)) return r;
    pollfd p{fd, static_cast<short>(dir == Direction::in ? POLLIN : POLLOUT), 0};
    int n = real().poll(&p, 1, poll_timeout_ms(deadline));
    if (n == 0) {
      errno = EAGAIN;
      return -1;
    }
    if (n < 0) return -1;
  }
}

// With `complete` (write, send, sendto of `complete` bytes) a partial transfer goes on until
// everything is sent, as a blocking socket does; the result counts what was sent before an error.
template <class Attempt>
ssize_t cooperate(int fd, Direction dir, const FdState& st, FdKind kind, Attempt& attempt, size_t complete) {
  TimePoint deadline = deadline_for(st, dir);
  const bool owned = st.owned.load(std::memory_order_relaxed);
  size_t done = 0;
  for (;;) {
    ssize_t r;
    if (owned) {
      r = attempt(false, done);
    } else if (kind == FdKind::socket) {
      r = attempt(true, done);  // MSG_DONTWAIT: the foreign socket's flags stay as they are
    } else if (ready_now(fd, dir)) {
      r = attempt(false, done);
    } else {
      errno = EAGAIN;
      r = -1;
    }
    if (r > 0 && complete > 0) {
      done += static_cast<size_t>(r);
      if (done < complete) continue;
      return static_cast<ssize_t>(done);
    }
    if (!would_block(r)) return done > 0 && r < 0 ? static_cast<ssize_t>(done) : r;
    if (!park_until_ready(fd, dir, deadline)) return done > 0 ? static_cast<ssize_t>(done) : -1;
  }
}

template <class Attempt>
ssize_t on_pool(Hub& hub, Attempt& attempt) {
  ssize_t r = -1;
  int err = 0;
  run_on_pool(hub, [&] {
    r = attempt(false, 0);
    err = errno;
  });
  errno = err;
  return r;
}

// The common shape of every transfer call. `attempt(dontwait, offset)` makes the call once, from
// byte `offset` of the caller's buffer; with `dontwait` it must not block (MSG_DONTWAIT).
template <class Attempt>
ssize_t transfer(int fd, Direction dir, Attempt attempt, size_t complete = 0) {
  if (!patched()) return attempt(false, 0);
  FdState* st = FdTable::instance().find(fd);
  Hub* hub = cooperative_hub();
  if (!hub) {
    if (st && st->owned.load(std::memory_order_relaxed) && !st->user_nonblock.load(std::memory_order_relaxed))
      return emulate_blocking(fd, dir, *st, attempt);
    return attempt(false, 0);
  }
  if (fail_if_interrupted()) return -1;
  if (!st) return attempt(false, 0);
  FdKind kind = classify(fd, *st);
  if (st->user_nonblock.load(std::memory_order_relaxed)) return attempt(false, 0);
  switch (kind) {
    case FdKind::socket: return cooperate(fd, dir, *st, kind, attempt, complete);
    case FdKind::pollable: return cooperate(fd, dir, *st, kind, attempt, 0);
    case FdKind::file:
      return monkey::file_io() == monkey::FileIo::thread_pool ? on_pool(*hub, attempt) : attempt(false, 0);
    default: return attempt(false, 0);
  }
}

}  // namespace

ssize_t hooked_read(int fd, void* buf, size_t n) {
  return transfer(fd, Direction::in, [=](bool dontwait, size_t) {
    return dontwait ? real().recv(fd, buf, n, MSG_DONTWAIT) : real().read(fd, buf, n);
  });
}

ssize_t hooked_readv(int fd, const iovec* iov, int count) {
  return transfer(fd, Direction::in, [=](bool dontwait, size_t) {
    if (!dontwait) return real().readv(fd, iov, count);
    msghdr msg{};
    msg.msg_iov = const_cast<iovec*>(iov);
    msg.msg_iovlen = static_cast<size_t>(count);
    return real().recvmsg(fd, &msg, MSG_DONTWAIT);
  });
}

ssize_t hooked_write(int fd, const void* buf, size_t n) {
  const char* bytes = static_cast<const char*>(buf);
  return transfer(
      fd, Direction::out,
      [=](bool dontwait, size_t at) {
        return dontwait ? real().send(fd, bytes + at, n - at, MSG_DONTWAIT)
                        : real().write(fd, bytes + at, n - at);
      },
      n);
}

ssize_t hooked_writev(int fd, const iovec* iov, int count) {
  return transfer(fd, Direction::out, [=](bool dontwait, size_t) {
    if (!dontwait) return real().writev(fd, iov, count);
    msghdr msg{};
    msg.msg_iov = const_cast<iovec*>(iov);
    msg.msg_iovlen = static_cast<size_t>(count);
    return real().sendmsg(fd, &msg, MSG_DONTWAIT);
  });
}

// A caller passing MSG_DONTWAIT asked not to block: libc's call as is.
ssize_t hooked_recv(int fd, void* buf, size_t n, int flags) {
  if (flags & MSG_DONTWAIT) return real().recv(fd, buf, n, flags);
  return transfer(fd, Direction::in, [=](bool dontwait, size_t) {
    return real().recv(fd, buf, n, flags | (dontwait ? MSG_DONTWAIT : 0));
  });
}

ssize_t hooked_recvfrom(int fd, void* buf, size_t n, int flags, sockaddr* from, socklen_t* len) {
  if (flags & MSG_DONTWAIT) return real().recvfrom(fd, buf, n, flags, from, len);
  return transfer(fd, Direction::in, [=](bool dontwait, size_t) {
    return real().recvfrom(fd, buf, n, flags | (dontwait ? MSG_DONTWAIT : 0), from, len);
  });
}

ssize_t hooked_recvmsg(int fd, msghdr* msg, int flags) {
  if (flags & MSG_DONTWAIT) return real().recvmsg(fd, msg, flags);
  return transfer(fd, Direction::in, [=](bool dontwait, size_t) {
    return real().recvmsg(fd, msg, flags | (dontwait ? MSG_DONTWAIT : 0));
  });
}

ssize_t hooked_send(int fd, const void* buf, size_t n, int flags) {
  if (flags & MSG_DONTWAIT) return real().send(fd, buf, n, flags);
  const char* bytes = static_cast<const char*>(buf);
  return transfer(
      fd, Direction::out,
      [=](bool dontwait, size_t at) {
        return real().send(fd, bytes + at, n - at, flags | (dontwait ? MSG_DONTWAIT : 0));
      },
      n);
}

ssize_t hooked_sendto(int fd, const void* buf, size_t n, int flags, const sockaddr* to, socklen_t len) {
  if (flags & MSG_DONTWAIT) return real().sendto(fd, buf, n, flags, to, len);
  const char* bytes = static_cast<const char*>(buf);
  return transfer(
      fd, Direction::out,
      [=](bool dontwait, size_t at) {
        return real().sendto(fd, bytes + at, n - at, flags | (dontwait ? MSG_DONTWAIT : 0), to, len);
      },
      n);
}

ssize_t hooked_sendmsg(int fd, const msghdr* msg, int flags) {
  if (flags & MSG_DONTWAIT) return real().sendmsg(fd, msg, flags);
  return transfer(fd, Direction::out, [=](bool dontwait, size_t) {
    return real().sendmsg(fd, msg, flags | (dontwait ? MSG_DONTWAIT : 0));
  });
}

}  // namespace fern::hook
