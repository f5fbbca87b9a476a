// Semaphore: a counter of permits, gevent's Semaphore. acquire() takes one, parking the calling
// greenlet (never the thread) while none is free; release() gives one back. Waiters are served
// first come, first served: a released permit is reserved for the longest waiter, so a greenlet
// that acquires in a loop cannot starve the others (FairWaitQueue). A waiter killed or timed out
// after its permit was reserved passes the reservation on; no permit is ever leaked.
//
// BoundedSemaphore refuses to be released above its initial count (std::logic_error), which
// catches a release without a matching acquire.
//
// Both meet the standard Lockable / TimedLockable requirements (lock, try_lock, try_lock_for,
// unlock), so std::lock_guard, std::unique_lock and std::scoped_lock release them on every exit,
// a kill or a fern::Timeout included.
#pragma once

#include <chrono>
#include <cstddef>

#include "fern/base/clock.hpp"
#include "fern/sync/fair_wait_queue.hpp"

namespace fern {

class Semaphore {
 public:
  explicit Semaphore(std::size_t permits = 1) noexcept : count_(permits) {}
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  // Takes a permit; false when `timeout` passed first. Throws what is thrown into the greenlet
  // while it waits (kill, fern::Timeout), holding nothing then.
  bool acquire(Duration timeout = kForever);
  // gevent's acquire(blocking=False): takes a free permit or returns false, never parks.
  bool try_acquire() noexcept;
  // Gives a permit back and wakes the longest waiter. Does not switch greenlets. A bounded one
  // throws std::logic_error instead of exceeding its bound.
  void release();

  // Parks until a permit is free without taking it (gevent's Semaphore.wait). Returns the number
  // of free permits when it stopped waiting: 0 when `timeout` passed first. A permit it was woken
  // for goes on to the next waiter, if any.
  std::size_t wait(Duration timeout = kForever);

  // Free permits (not promised to a woken waiter).
  std::size_t counter() const noexcept { return count_ - waiters_.reserved(); }
  // No free permit: acquire() would park.
  bool locked() const noexcept { return counter() == 0; }
  // Greenlets parked in acquire() or wait().
  std::size_t waiting() const noexcept { return waiters_.waiting(); }

  // Lockable / TimedLockable.
  void lock() { acquire(); }
  bool try_lock() noexcept { return try_acquire(); }
  template <class Rep, class Period>
  bool try_lock_for(const std::chrono::duration<Rep, Period>& d) {
    return acquire(std::chrono::duration_cast<Duration>(d));
  }
  template <class C, class D>
  bool try_lock_until(const std::chrono::time_point<C, D>& deadline) {
    return acquire(std::chrono::duration_cast<Duration>(deadline - C::now()));
  }
  void unlock() { release(); }

 protected:
  // A semaphore that refuses a release above `bound` permits, with `over_release` as the error.
  Semaphore(std::size_t permits, std::size_t bound, const char* over_release) noexcept
      : count_(permits), bound_(bound), over_release_(over_release) {}

 private:
  // Hands free permits to waiters, one reservation each.
  void wake_waiters() noexcept;

  std::size_t count_;  // permits held by nobody, reserved ones included
  std::size_t bound_ = static_cast<std::size_t>(-1);
  const char* over_release_ = nullptr;
  FairWaitQueue waiters_{"Semaphore", this};
};

class BoundedSemaphore : public Semaphore {
 public:
  // release() throws std::logic_error when every permit is already free.
  explicit BoundedSemaphore(std::size_t permits = 1) noexcept
      : Semaphore(permits, permits, "fern: BoundedSemaphore released too many times") {}

 protected:
  BoundedSemaphore(std::size_t permits, const char* over_release) noexcept
      : Semaphore(permits, permits, over_release) {}
};

}  // namespace fern
