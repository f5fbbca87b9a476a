// Condition: Python's threading.Condition (and asyncio.Condition) for greenlets, which gevent lacks.
// A condition is bound to a Lock: the caller holds the lock, checks its state, and wait() releases
// the lock, parks until notify() or the timeout, and takes the lock again before returning, so the
// state is re-checked under the lock. Use it as its own lock (std::lock_guard guard(cond)):
//
//   fern::Condition ready;
//   std::unique_lock held(ready);
//   ready.wait_for([&] { return !jobs.empty(); });  // parks until a producer notifies
//
// Nothing is handed over with a notification (a WaitQueue underneath): a waiter notified and then
// killed or timed out passes the notification on, so notify(1) never wakes nobody while greenlets
// wait. A kill or fern::Timeout that ends a wait still takes the lock again before unwinding, as
// Python does, so a guard's release stays balanced.
#pragma once

#include <cstddef>

#include "fern/base/clock.hpp"
#include "fern/hub/wait_queue.hpp"
#include "fern/sync/lock.hpp"

namespace fern {

class Condition {
 public:
  // With a lock of its own.
  Condition() noexcept : lock_(&own_lock_) {}
  // Sharing `lock` (which must outlive the condition) with other conditions or code.
  explicit Condition(Lock& lock) noexcept : lock_(&lock) {}
  Condition(const Condition&) = delete;
  Condition& operator=(const Condition&) = delete;

  // The lock's operations, so the condition works with std::lock_guard and std::unique_lock.
  bool acquire(Duration timeout = kForever) { return lock_->acquire(timeout); }
  void release() { lock_->release(); }
  void lock() { lock_->acquire(); }
  void unlock() { lock_->release(); }
  bool try_lock() { return lock_->try_acquire(); }
  // The lock itself (the condition's own, or the one it was given).
  Lock& underlying_lock() const noexcept { return *lock_; }

  // Releases the lock, parks until notified, takes the lock again. False when `timeout` passed
  // first (the lock is held again either way). std::logic_error when the lock is not held.
  bool wait(Duration timeout = kForever);
  // Waits until `predicate()` holds, checking it under the lock before each wait; returns its last
  // value (false only when `timeout` passed first).
  template <class Predicate>
  bool wait_for(Predicate predicate, Duration timeout = kForever) {
    const TimePoint deadline = timeout == kForever ? TimePoint::max() : deadline_after(timeout);
    while (!predicate()) {
      if (Clock::now() >= deadline) return false;
      wait(deadline == TimePoint::max() ? kForever : deadline - Clock::now());
    }
    return true;
  }

  // Wakes up to `n` waiters (they run once the notifier releases the lock); the lock should be held.
  void notify(std::size_t n = 1) noexcept;
  void notify_all() noexcept { waiters_.notify_all(); }
  std::size_t waiting() const noexcept { return waiters_.size(); }

 private:
  void reacquire_after_interrupt() noexcept;

  Lock own_lock_;
  Lock* lock_;
  WaitQueue waiters_{"Condition", this};
};

}  // namespace fern
