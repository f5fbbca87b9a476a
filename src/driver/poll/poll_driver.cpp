#include "fern/driver/poll_driver.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <ctime>
#include <new>

#include "../table_tail.hpp"
#include "../wait_list.hpp"
#include "fern/base/error.hpp"

namespace fern {
namespace {

constexpr std::size_t kNoSlot = static_cast<std::size_t>(-1);

short poll_events_for(std::uint32_t wanted) noexcept {
  short events = 0;
  if (wanted & io_events::readable) events |= POLLIN | POLLRDHUP;
  if (wanted & io_events::writable) events |= POLLOUT;
  return events;
}

timespec to_timespec(Duration d) noexcept {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  return timespec{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
}

}  // namespace

struct PollDriver::FdState {
  detail::WaitList waits;
  std::size_t slot = kNoSlot;
};

PollDriver::PollDriver() { pollfds_.push_back(pollfd{wake_.fd(), POLLIN, 0}); }

PollDriver::~PollDriver() = default;

PollDriver::FdState& PollDriver::state(int fd) {
  if (fd < 0) throw_error(Errc::invalid_argument, "fern: waiting on a negative file descriptor");
  if (static_cast<std::size_t>(fd) >= fds_.size()) fds_.resize(static_cast<std::size_t>(fd) + 64);
  return fds_[static_cast<std::size_t>(fd)];
}

PollDriver::FdState* PollDriver::find(int fd) noexcept {
  if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return nullptr;
  return &fds_[static_cast<std::size_t>(fd)];
}

// Makes the fd's pollfd slot say what its waits want: a slot is taken when the first wait arrives
// and handed back (fd -1, which poll(2) skips) when the last one leaves.
void PollDriver::sync_slot(int fd, FdState& st) noexcept {
  short events = poll_events_for(st.waits.wanted());
  if (events == 0) {
    if (st.slot != kNoSlot) {
      pollfds_[st.slot] = pollfd{-1, 0, 0};
      free_slots_.push_back(st.slot);
      st.slot = kNoSlot;
    }
    return;
  }
  if (st.slot == kNoSlot) {
    if (!free_slots_.empty()) {
      st.slot = free_slots_.back();
      free_slots_.pop_back();
    } else {
      st.slot = pollfds_.size();
      pollfds_.push_back(pollfd{-1, 0, 0});  // reserved by start_wait, cannot throw here
    }
  }
  pollfds_[st.slot] = pollfd{fd, events, 0};
}

bool PollDriver::start_wait(IoWait& w) {
  FdState& st = state(w.fd);
  // Reserve first so the slot bookkeeping below never allocates; doubling, since an exact
  // reserve of one more would copy the whole array for every new slot.
  if (pollfds_.size() == pollfds_.capacity())
    pollfds_.reserve(std::max<std::size_t>(16, 2 * pollfds_.capacity()));
  free_slots_.reserve(pollfds_.capacity());
  st.waits.link(w);
  ++waiting_;
  sync_slot(w.fd, st);
  return true;  // level-triggered: a ready fd is reported by the next poll() at once
}

void PollDriver::stop_wait(IoWait& w) noexcept {
  if (!w.linked) return;
  FdState& st = fds_[static_cast<std::size_t>(w.fd)];
  st.waits.unlink(w);
  --waiting_;
  sync_slot(w.fd, st);
}

// Drops trailing unused slots, and squeezes out holes when they outnumber the live slots, so a
// burst of short waits does not leave poll(2) scanning a long array of -1 entries.
void PollDriver::compact() noexcept {
  while (pollfds_.size() > 1 && pollfds_.back().fd < 0) pollfds_.pop_back();
  std::size_t live = pollfds_.size() - 1;
  std::size_t holes = 0;
  for (std::size_t i = 1; i < pollfds_.size(); ++i) holes += pollfds_[i].fd < 0;
  live -= holes;
  if (holes < 64 || holes < live) {
    std::erase_if(free_slots_, [&](std::size_t s) { return s >= pollfds_.size(); });
    return;
  }
  squeeze();
}

// Moves the live slots down over every hole, so no slot is free.
void PollDriver::squeeze() noexcept {
  std::size_t out = 1;
  for (std::size_t i = 1; i < pollfds_.size(); ++i) {
    if (pollfds_[i].fd < 0) continue;
    pollfds_[out] = pollfds_[i];
    fds_[static_cast<std::size_t>(pollfds_[out].fd)].slot = out;
    ++out;
  }
  pollfds_.resize(out);
  free_slots_.clear();
}

void PollDriver::poll(Duration timeout) {
  compact();
  int n;
  if (timeout == kForever) {
    n = ::ppoll(pollfds_.data(), pollfds_.size(), nullptr, nullptr);
  } else {
    // ppoll takes nanoseconds, so a short sleep is not rounded up to a whole millisecond.
    timespec ts = to_timespec(timeout);
    n = ::ppoll(pollfds_.data(), pollfds_.size(), &ts, nullptr);
  }
  if (n < 0) {
    if (errno == EINTR) return;
    throw_errno("fern: ppoll");
  }
  if (n == 0) return;
  if (pollfds_[0].revents) {
    wake_.drain();
    --n;
  }
  // Waking only schedules greenlets, and a wake changes only the woken fd's own slot, so the
  // array can be walked while it is updated.
  for (std::size_t i = 1; i < pollfds_.size() && n > 0; ++i) {
    short revents = pollfds_[i].revents;
    if (!revents) continue;
    pollfds_[i].revents = 0;
    --n;
    if (pollfds_[i].fd >= 0) dispatch(pollfds_[i].fd, revents);
  }
}

void PollDriver::dispatch(int fd, short revents) noexcept {
  FdState& st = fds_[static_cast<std::size_t>(fd)];
  std::size_t woken;
  if (revents & POLLNVAL) {
    // The descriptor was closed behind the driver's back: nothing will ever make it ready.
    woken = st.waits.complete(detail::kAllEvents, std::make_error_code(std::errc::bad_file_descriptor));
  } else {
    woken = st.waits.complete(detail::ready_from_revents(static_cast<unsigned short>(revents)), {});
  }
  waiting_ -= woken;
  sync_slot(fd, st);
}

// After a spike: poll(2) keeps nothing between calls, so an entry with no waits and no slot holds
// nothing; the entries past the last one in use go. The pollfd array loses its holes, and the
// arrays are made to fit what is left, except that free_slots_ keeps room for every slot, so that
// handing a slot back never allocates (see start_wait). Not a hot path: once per spike.
void PollDriver::release_unused_memory() noexcept {
  squeeze();
  detail::fit_to_used(fds_, [](const FdState& st) { return !st.waits.empty() || st.slot != kNoSlot; });
  detail::fit_to_used(pollfds_, [](const pollfd&) { return true; });  // squeeze() left no hole
  try {
    std::vector<std::size_t> slots;  // and no free slot
    slots.reserve(pollfds_.capacity());
    free_slots_.swap(slots);
  } catch (const std::bad_alloc&) {
    // Kept as it is: only larger than it needs to be.
  }
}

std::size_t PollDriver::fd_table_capacity() const noexcept { return fds_.capacity(); }

void PollDriver::wake() noexcept { wake_.notify(); }

// The kernel keeps nothing for poll(2) between calls; only the wake eventfd is shared with the
// parent. The new one has the same number, so its pollfd slot 0 stays as it is, and linked waits are
// looked at again by the next call.
void PollDriver::reinit_after_fork() { wake_.reopen_after_fork(); }

void PollDriver::close_fd(int fd) noexcept { forget_fd(fd); }

void PollDriver::forget_fd(int fd) noexcept {
  FdState* st = find(fd);
  if (!st) return;
  waiting_ -= st->waits.complete(detail::kAllEvents, make_error_code(Errc::closed));
  sync_slot(fd, *st);
}

}  // namespace fern
