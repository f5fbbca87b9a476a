#include "fern/driver/epoll_driver.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <utility>

#include "../table_tail.hpp"
#include "fern/base/error.hpp"
#include "fern/hub/waiter.hpp"

namespace fern {
namespace {

constexpr std::uint64_t kWakeToken = ~std::uint64_t{0};
constexpr int kMaxEvents = 256;
constexpr std::uint32_t kWatchedEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
constexpr Duration kAuditPeriod = std::chrono::seconds(1);
constexpr std::uint8_t kMaxAuditBackoff = 63;

std::uint64_t token(int fd, std::uint32_t generation) {
  return (static_cast<std::uint64_t>(generation) << 32) | static_cast<std::uint32_t>(fd);
}

}  // namespace

EpollDriver::EpollDriver() { epfd_ = open_epoll(wake_.fd()); }

EpollDriver::~EpollDriver() { ::close(epfd_); }

// A new epoll set watching only the wake eventfd.
int EpollDriver::open_epoll(int wake_fd) {
  int epfd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) throw_errno("fern: epoll_create1");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeToken;
  if (::epoll_ctl(epfd, EPOLL_CTL_ADD, wake_fd, &ev) != 0) {
    int err = errno;
    ::close(epfd);
    errno = err;
    throw_errno("fern: epoll_ctl(eventfd)");
  }
  return epfd;
}

// The inherited epoll set is the parent's too: its registrations and events would reach both
// processes. The child gets a set of its own. Its descriptors are registered again on their next
// wait, as new ones are (one epoll_ctl per descriptor that is still used, none for idle ones), under
// a new generation: so the waits linked now are woken to come back through start_wait, their
// greenlets retrying their I/O first as after any wake-up, and every direction nobody waited for is
// marked ready, so its next wait re-checks too. The registration then reports the level at that
// moment: nothing that arrived before the fork, or was taken by the parent meanwhile, is misread.
void EpollDriver::reinit_after_fork() {
  wake_.reopen_after_fork();
  int fresh = open_epoll(wake_.fd());
  ::close(std::exchange(epfd_, fresh));  // the child's reference only: the parent's set lives on
  for (FdState& st : fds_) {
    if (!st.registered || !st.pollable) continue;
    complete(st, io_events::readable | io_events::writable, {});
    st.registered = false;  // the next registration takes a new generation
    st.active = false;
    st.audit_skips = st.audit_backoff = 0;
  }
}

EpollDriver::FdState& EpollDriver::state(int fd) {
  if (fd < 0) throw_error(Errc::invalid_argument, "fern: waiting on a negative file descriptor");
  if (static_cast<std::size_t>(fd) >= fds_.size()) fds_.resize(static_cast<std::size_t>(fd) + 64);
  return fds_[static_cast<std::size_t>(fd)];
}

// Generations. A registration's epoll token carries its descriptor number and a generation, the
// next number of a counter of the whole driver, taken here. dispatch() acts on an event only when
// the descriptor's entry is registered under that same generation; any other event is a late one
// of a registration the entry no longer stands for. Such events exist: one already queued when
// close_fd() or forget_fd() dropped the entry, and one from a registration that outlived its
// descriptor number, when a descriptor was closed with plain close() while a dup (in this process
// or in a child) keeps its open file, and with it the registration, in the epoll set: the kernel
// goes on reporting it under the old token, also once the number belongs to a new descriptor with
// a registration of its own.
//
// The counter is the driver's, not one per entry, so that no entry holds anything that must
// outlive its descriptor: release_unused_memory() may drop the unused tail of the table, and an
// entry made afresh for a number used before still gets a generation that no earlier registration
// of that number had. (A counter per entry would start again at 0 in the fresh entry and take a
// stale registration's events for its own.) A generation comes round again only after 2^32
// registrations; should that meet a stale registration of the same number that still reports, its
// events would reach the new descriptor's waits as spurious wake-ups: they retry their I/O, get
// EAGAIN and wait again.
void EpollDriver::register_fd(int fd, FdState& st) {
  epoll_event ev{};
  ev.events = kWatchedEvents;
  st.generation = ++generations_;
  ev.data.u64 = token(fd, st.generation);
  if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    if (errno == EEXIST) {
      // Registered by an earlier descriptor with this number that was closed behind our back
      // while a dup kept it in the set: refresh the token so its events reach us.
      if (::epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) != 0) throw_errno("fern: epoll_ctl(MOD)");
    } else if (errno == EPERM) {
      st.pollable = false;  // a regular file: always ready, as poll(2) says
    } else {
      throw_errno("fern: epoll_ctl(ADD)");
    }
  }
  st.registered = true;
}

bool EpollDriver::start_wait(IoWait& w) {
  FdState& st = state(w.fd);
  if (!st.registered) register_fd(w.fd, st);
  if (!st.pollable) return false;
  if ((w.events & io_events::readable) && st.read_ready) {
    st.read_ready = false;
    return false;
  }
  if ((w.events & io_events::writable) && st.write_ready) {
    st.write_ready = false;
    return false;
  }
  if (!st.head) st.audit_skips = st.audit_backoff = 0;  // a new wait is audited at the next look
  w.prev = nullptr;
  w.next = st.head;
  if (st.head) st.head->prev = &w;
  st.head = &w;
  w.linked = true;
  w.result.clear();
  ++waiting_;
  return true;
}

void EpollDriver::unlink(FdState& st, IoWait& w) noexcept {
  if (!w.linked) return;
  if (w.prev) {
    w.prev->next = w.next;
  } else {
    st.head = w.next;
  }
  if (w.next) w.next->prev = w.prev;
  w.prev = w.next = nullptr;
  w.linked = false;
  --waiting_;
}

void EpollDriver::stop_wait(IoWait& w) noexcept {
  if (w.linked) unlink(fds_[static_cast<std::size_t>(w.fd)], w);
}

void EpollDriver::complete(FdState& st, std::uint32_t ready, std::error_code result) noexcept {
  bool read_taken = false, write_taken = false;
  for (IoWait* w = st.head; w;) {
    IoWait* next = w->next;
    std::uint32_t hit = w->events & ready;
    if (hit) {
      read_taken |= (hit & io_events::readable) != 0;
      write_taken |= (hit & io_events::writable) != 0;
      w->result = result;
      unlink(st, *w);
      w->waiter->wake();
    }
    w = next;
  }
  // An edge nobody took is kept, or it would be lost: epoll reports each edge once.
  if ((ready & io_events::readable) && !read_taken) st.read_ready = true;
  if ((ready & io_events::writable) && !write_taken) st.write_ready = true;
}

void EpollDriver::dispatch(int fd, std::uint32_t generation, std::uint32_t ev) noexcept {
  if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return;
  FdState& st = fds_[static_cast<std::size_t>(fd)];
  if (st.generation != generation || !st.registered) return;  // a late event (see register_fd)
  st.active = true;
  std::uint32_t ready = 0;
  if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) ready |= io_events::readable;
  if (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)) ready |= io_events::writable;
  complete(st, ready, {});
}

// Runs the audit when it is due, and shortens a sleep that would pass the next one while waits
// are linked (an idle hub whose every greenlet waits on a dead descriptor must still wake to see it).
Duration EpollDriver::audit_if_due(Duration timeout) noexcept {
  if (waiting_ == 0) return timeout;
  TimePoint now = Clock::now();
  if (now >= next_audit_) {
    if (next_audit_ != TimePoint::min()) audit();
    next_audit_ = now + kAuditPeriod;
  }
  return std::min(timeout, next_audit_ - now);
}

void EpollDriver::audit() noexcept {
  for (std::size_t fd = 0; fd < fds_.size(); ++fd) {
    FdState& st = fds_[fd];
    if (!st.head || !st.registered || !st.pollable) continue;
    if (std::exchange(st.active, false)) {
      st.audit_skips = st.audit_backoff = 0;
      continue;
    }
    if (st.audit_skips > 0) {
      --st.audit_skips;
      continue;
    }
    // MOD with the same mask also re-arms the edge: a ready descriptor reports again, which a
    // waiter sees as a spurious wake-up at worst.
    epoll_event ev{};
    ev.events = kWatchedEvents;
    ev.data.u64 = token(static_cast<int>(fd), st.generation);
    if (::epoll_ctl(epfd_, EPOLL_CTL_MOD, static_cast<int>(fd), &ev) != 0 &&
        (errno == ENOENT || errno == EBADF)) {
      complete(st, io_events::readable | io_events::writable, make_error_code(Errc::closed_behind_hub));
      forget_fd(static_cast<int>(fd));
      continue;
    }
    st.audit_backoff = static_cast<std::uint8_t>(std::min<int>(st.audit_backoff * 2 + 1, kMaxAuditBackoff));
    st.audit_skips = st.audit_backoff;
  }
}

void EpollDriver::poll(Duration timeout) {
  timeout = audit_if_due(timeout);
  epoll_event events[kMaxEvents];
  int n;
  if (timeout == kForever) {
    n = ::epoll_wait(epfd_, events, kMaxEvents, -1);
  } else {
    // epoll_pwait2 takes nanoseconds, so a short sleep is not rounded up to a whole millisecond.
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
    timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    n = ::epoll_pwait2(epfd_, events, kMaxEvents, &ts, nullptr);
    if (n < 0 && errno == ENOSYS) {
      auto ms = std::chrono::ceil<std::chrono::milliseconds>(timeout).count();
      n = ::epoll_wait(epfd_, events, kMaxEvents, static_cast<int>(std::min<long long>(ms, 1 << 30)));
    }
  }
  if (n < 0) {
    if (errno == EINTR) return;
    throw_errno("fern: epoll_wait");
  }
  for (int i = 0; i < n; ++i) {
    std::uint64_t data = events[i].data.u64;
    if (data == kWakeToken) {
      wake_.drain();
      continue;
    }
    dispatch(static_cast<int>(data & 0xffffffffu), static_cast<std::uint32_t>(data >> 32), events[i].events);
  }
}

void EpollDriver::wake() noexcept { wake_.notify(); }

void EpollDriver::close_fd(int fd) noexcept {
  if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return;
  FdState& st = fds_[static_cast<std::size_t>(fd)];
  complete(st, io_events::readable | io_events::writable, make_error_code(Errc::closed));
  if (st.registered && st.pollable) ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
  forget_fd(fd);
}

void EpollDriver::forget_fd(int fd) noexcept {
  if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return;
  FdState& st = fds_[static_cast<std::size_t>(fd)];
  if (st.head) complete(st, io_events::readable | io_events::writable, make_error_code(Errc::closed));
  st = FdState{};  // unregistered: the old registration's events are ignored, the next one is new
}

// An entry that nothing is registered for, nobody waits on and that remembers no readiness (which
// an unregistered entry does only after a fork) holds just the generation of a registration that
// is gone, which need not be kept (see register_fd). So the entries past the last one in use go,
// and the storage is made to fit what is left. A number past the new end gets a fresh entry from
// state() when it is next waited on; until then dispatch() ignores events for it, as it does for
// any number it has no entry for. Not a hot path: the hub calls it once per spike.
void EpollDriver::release_unused_memory() noexcept {
  detail::fit_to_used(
      fds_, [](const FdState& st) { return st.registered || st.head || st.read_ready || st.write_ready; });
}

}  // namespace fern
