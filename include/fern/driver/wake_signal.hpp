// WakeSignal: how another thread wakes a hub that sleeps in its driver, shared by every driver.
// An eventfd the driver watches (or, for io_uring, keeps a read in flight on), written only when
// no wake is already pending, so a burst of posts from other threads costs one write and one read.
//
// Ordering. The poster publishes its work (the hub's inbox flag), then calls notify(); the hub,
// after the eventfd fired, calls drain() or clear(), then reads the inbox flag. Each side stores one
// flag and then reads the other's: the store-buffering pattern, where acquire/release is not enough
// (even x86 may let each load pass its own earlier store, and both sides would miss the other: the
// poster sees a wake still pending and skips the write, the hub sees no work and sleeps). So the
// pending flag and the inbox flag are sequentially consistent on both sides: in their single total
// order either the hub's read comes after the poster's publish (it sees the work), or the
// poster's exchange comes after the hub's clear (it writes the eventfd).
#pragma once

#include <atomic>

namespace fern {

class WakeSignal {
 public:
  // How the driver reads the eventfd: with read(2) until it would block (readiness drivers), or
  // by a read the io_uring keeps in flight, which needs a blocking descriptor (io_uring completes
  // a read of an O_NONBLOCK file at once with -EAGAIN instead of waiting).
  enum class Reader { nonblocking, ring };

  explicit WakeSignal(Reader reader = Reader::nonblocking);
  WakeSignal(const WakeSignal&) = delete;
  WakeSignal& operator=(const WakeSignal&) = delete;
  ~WakeSignal();

  int fd() const noexcept { return fd_; }
  // Any thread: makes the eventfd readable unless a wake is already pending.
  void notify() noexcept;
  // Hub thread, after the eventfd was seen readable: empties it, then clear().
  void drain() noexcept;
  // Hub thread, after the counter was consumed (the ring's read completed): a later notify()
  // writes again. A full barrier, so the caller's next read of its inbox cannot move above it.
  void clear() noexcept { pending_.exchange(false, std::memory_order_seq_cst); }

  // In a child after fork(2): the inherited eventfd is the parent's too (a wake in one would wake
  // the other), so a fresh one takes its descriptor number. The number stays the same, so a driver
  // that keeps it (poll's slot 0, select's sets) needs no update; no wake is pending afterwards.
  void reopen_after_fork();

  // Writes to the eventfd so far; for tests of the coalescing.
  unsigned long writes() const noexcept { return writes_.load(std::memory_order_relaxed); }

 private:
  int fd_ = -1;
  int flags_ = 0;  // eventfd(2) flags, for reopen_after_fork
  std::atomic<bool> pending_{false};
  std::atomic<unsigned long> writes_{0};
};

}  // namespace fern
