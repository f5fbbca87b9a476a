// Waiting on many descriptors (poll, ppoll, select, pselect, epoll_wait on the user's own epoll
// set) and sleeping. A multi-descriptor wait asks the kernel once without blocking; if nothing is
// ready it parks the greenlet on every descriptor at once (one Waiter, one IoWait each) and asks
// again when any of them fires or the deadline passes. The signal masks of ppoll and pselect are
// applied only to the kernel's non-blocking look, not while the greenlet is parked.
#include <poll.h>
#include <sys/epoll.h>

#include <cerrno>
#include <memory>
#include <vector>

#include <fern/hub/driver.hpp>
#include <fern/hub/fd_watch.hpp>
#include <fern/hub/sleep.hpp>
#include <fern/hub/timeout.hpp>
#include <fern/hub/waiter.hpp>

#include "arguments.hpp"
#include "cooperation.hpp"
#include "hooked_calls.hpp"
#include "real_calls.hpp"

namespace fern::hook {

namespace {

constexpr short kReadEvents = POLLIN | POLLPRI | POLLRDNORM | POLLRDBAND | POLLRDHUP;
constexpr short kWriteEvents = POLLOUT | POLLWRNORM | POLLWRBAND;

std::uint32_t io_events_of(short events) noexcept {
  std::uint32_t wanted = 0;
  if (events & kReadEvents) wanted |= io_events::readable;
  if (events & kWriteEvents) wanted |= io_events::writable;
  // Only errors and hang-ups were asked for: both show as readable.
  return wanted ? wanted : io_events::readable;
}

// Parks until one of `fds` may be ready, the deadline passes, or the greenlet is interrupted
// (false, errno set). Returns true to look again.
bool park_on_any(const pollfd* fds, nfds_t n, TimePoint deadline) noexcept {
  try {
    Waiter waiter;
    std::vector<FdWatch> watches(n);  // each unlinks itself, whatever ends the park
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].fd < 0) continue;
      // Already known to be ready, or not watchable (a regular file is always ready): look again.
      if (!watches[i].start(waiter, fds[i].fd, io_events_of(fds[i].events))) return true;
    }
    waiter.park(deadline);
    return true;
  } catch (const std::system_error& e) {
    if (e.code().category() == std::system_category()) return true;  // poll itself will report it
    record_interruption(std::current_exception());
  } catch (...) {
    record_interruption(std::current_exception());
  }
  return false;
}

// The cooperative form of every multi-descriptor wait: `look()` asks the kernel without blocking
// and returns its result; `watched` are the descriptors to park on.
template <class Look>
int wait_any(const pollfd* watched, nfds_t n, TimePoint deadline, Look look) {
  if (fail_if_interrupted()) return -1;
  for (;;) {
    int r = look();
    if (r != 0) return r;
    if (Clock::now() >= deadline) return 0;
    if (!park_on_any(watched, n, deadline)) return -1;
  }
}

TimePoint deadline_from_ms(int ms) noexcept {
  return ms < 0 ? TimePoint::max() : deadline_after(std::chrono::milliseconds(ms));
}

TimePoint deadline_from(const timespec* ts) noexcept {
  if (!ts) return TimePoint::max();
  return deadline_after(duration_of(*ts));
}

bool is_zero(const timespec* ts) noexcept { return ts && ts->tv_sec == 0 && ts->tv_nsec == 0; }

struct FdSets {
  fd_set r, w, e;
};

// select's look: on copies of the caller's sets, written back once something is ready.
int select_look(int nfds, fd_set* r, fd_set* w, fd_set* e, const sigset_t* mask, bool with_mask) {
  FdSets copy{};
  if (r) copy.r = *r;
  if (w) copy.w = *w;
  if (e) copy.e = *e;
  timespec zero{0, 0};
  timeval tv{0, 0};
  int n = with_mask
              ? real().pselect(nfds, r ? &copy.r : nullptr, w ? &copy.w : nullptr, e ? &copy.e : nullptr,
                               &zero, mask)
              : real().select(nfds, r ? &copy.r : nullptr, w ? &copy.w : nullptr, e ? &copy.e : nullptr, &tv);
  if (n > 0) {
    if (r) *r = copy.r;
    if (w) *w = copy.w;
    if (e) *e = copy.e;
  }
  return n;
}

void clear_sets(fd_set* r, fd_set* w, fd_set* e) noexcept {
  if (r) FD_ZERO(r);
  if (w) FD_ZERO(w);
  if (e) FD_ZERO(e);
}

int cooperative_select(int nfds, fd_set* r, fd_set* w, fd_set* e, TimePoint deadline, const sigset_t* mask,
                       bool with_mask) {
  std::vector<pollfd> watched = watched_of(nfds, r, w, e);
  int n = wait_any(watched.data(), watched.size(), deadline,
                   [&] { return select_look(nfds, r, w, e, mask, with_mask); });
  if (n == 0) clear_sets(r, w, e);
  return n;
}

// Sleeps the greenlet; false (errno set) when interrupted.
bool sleep_for(std::chrono::nanoseconds d) noexcept {
  if (fail_if_interrupted()) return false;
  try {
    fern::sleep(d);
    return true;
  } catch (...) {
    record_interruption(std::current_exception());
    return false;
  }
}

}  // namespace

int hooked_poll(pollfd* fds, nfds_t n, int timeout_ms) {
  Hub* hub = timeout_ms != 0 ? cooperative_hub() : nullptr;
  if (!hub) return real().poll(fds, n, timeout_ms);
  return wait_any(fds, n, deadline_from_ms(timeout_ms), [&] { return real().poll(fds, n, 0); });
}

int hooked_ppoll(pollfd* fds, nfds_t n, const timespec* timeout, const sigset_t* mask) {
  // A malformed timeout is the kernel's EINVAL, which the non-blocking looks would never see.
  Hub* hub = !is_zero(timeout) && (!timeout || valid(timeout)) ? cooperative_hub() : nullptr;
  if (!hub) return real().ppoll(fds, n, timeout, mask);
  timespec zero{0, 0};
  return wait_any(fds, n, deadline_from(timeout), [&] { return real().ppoll(fds, n, &zero, mask); });
}

int hooked_select(int nfds, fd_set* r, fd_set* w, fd_set* e, timeval* timeout) {
  const bool poll_only = timeout && timeout->tv_sec == 0 && timeout->tv_usec == 0;
  Hub* hub = !poll_only && (!timeout || valid(timeout)) ? cooperative_hub() : nullptr;
  if (!hub) return real().select(nfds, r, w, e, timeout);
  TimePoint deadline = timeout ? deadline_after(duration_of(*timeout)) : TimePoint::max();
  int n = cooperative_select(nfds, r, w, e, deadline, nullptr, false);
  if (timeout) {
    // Linux select() leaves the time not slept in *timeout.
    auto left = std::max(deadline - Clock::now(), Duration::zero());
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(left).count();
    *timeout = timeval{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
  }
  return n;
}

int hooked_pselect(int nfds, fd_set* r, fd_set* w, fd_set* e, const timespec* timeout, const sigset_t* mask) {
  Hub* hub = !is_zero(timeout) && (!timeout || valid(timeout)) ? cooperative_hub() : nullptr;
  if (!hub) return real().pselect(nfds, r, w, e, timeout, mask);
  return cooperative_select(nfds, r, w, e, deadline_from(timeout), mask, true);
}

int hooked_epoll_wait(int epfd, epoll_event* events, int max, int timeout_ms, const sigset_t* mask,
                      bool pwait) {
  Hub* hub = timeout_ms != 0 ? cooperative_hub() : nullptr;
  if (!hub) {
    return pwait ? real().epoll_pwait(epfd, events, max, timeout_ms, mask)
                 : real().epoll_wait(epfd, events, max, timeout_ms);
  }
  // An epoll set is itself readable while any of its descriptors is ready.
  pollfd watched{epfd, POLLIN, 0};
  return wait_any(&watched, 1, deadline_from_ms(timeout_ms), [&] {
    return pwait ? real().epoll_pwait(epfd, events, max, 0, mask) : real().epoll_wait(epfd, events, max, 0);
  });
}

unsigned hooked_sleep(unsigned seconds) {
  if (!cooperative_hub()) return real().sleep(seconds);
  TimePoint deadline = deadline_after(std::chrono::seconds(seconds));
  if (sleep_for(std::chrono::seconds(seconds))) return 0;
  auto left = std::chrono::ceil<std::chrono::seconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<unsigned>(left) : 0;
}

int hooked_usleep(useconds_t usec) {
  if (!cooperative_hub()) return real().usleep(usec);
  return sleep_for(std::chrono::microseconds(usec)) ? 0 : -1;
}

int hooked_nanosleep(const timespec* req, timespec* rem) {
  if (!cooperative_hub()) return real().nanosleep(req, rem);
  if (!valid(req)) {
    errno = EINVAL;
    return -1;
  }
  TimePoint deadline = deadline_after(duration_of(*req));
  if (sleep_for(duration_of(*req))) return 0;
  if (rem) {
    auto left = std::max(deadline - Clock::now(), Duration::zero());
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    *rem = timespec{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  }
  return -1;
}

// Returns an error number, not -1 with errno, as clock_nanosleep does.
int hooked_clock_nanosleep(clockid_t clock, int flags, const timespec* req, timespec* rem) {
  const bool known_clock = clock == CLOCK_MONOTONIC || clock == CLOCK_REALTIME;
  if (!known_clock || !cooperative_hub()) return real().clock_nanosleep(clock, flags, req, rem);
  if (!valid(req)) return EINVAL;
  std::chrono::nanoseconds d = duration_of(*req);
  if (flags & TIMER_ABSTIME) {
    timespec now{};
    clock_gettime(clock, &now);
    d -= duration_of(now);
  }
  int saved = errno;
  bool slept = sleep_for(std::max(d, std::chrono::nanoseconds::zero()));
  int err = slept ? 0 : errno;
  if (!slept && rem && !(flags & TIMER_ABSTIME)) *rem = timespec{0, 0};
  errno = saved;
  return err;
}

}  // namespace fern::hook
