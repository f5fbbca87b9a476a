// Lock and RLock: mutual exclusion between greenlets of one hub, gevent's lock module. Acquiring a
// held lock parks the calling greenlet (never the thread) until it is released; waiters get it in
// arrival order. Use them with std::lock_guard / std::unique_lock / std::scoped_lock, whose
// destructors release the lock on every exit, a kill or a fern::Timeout included:
//
//   fern::Lock lock;
//   { std::lock_guard guard(lock); critical_section(); }
//   std::unique_lock held(lock, 50ms);  // TimedLockable: try for 50 ms
//
// Lock is a BoundedSemaphore(1): any greenlet may release it, but releasing it unlocked is a
// std::logic_error. RLock is reentrant: its owner (the greenlet that acquired it, the main
// greenlet included) may acquire it again and must release it as often; a release by any other
// greenlet is a std::logic_error.
#pragma once

#include <chrono>
#include <cstddef>

#include "fern/base/clock.hpp"
#include "fern/sync/semaphore.hpp"

namespace fern {

class Greenlet;

class Lock : public BoundedSemaphore {
 public:
  Lock() noexcept : BoundedSemaphore(1, "fern: Lock released while not locked") {}
};

class RLock {
 public:
  RLock() = default;
  RLock(const RLock&) = delete;
  RLock& operator=(const RLock&) = delete;

  // Takes the lock, or counts one more hold if the current greenlet owns it already; false when
  // `timeout` passed first.
  bool acquire(Duration timeout = kForever);
  bool try_acquire();
  // Undoes one acquire; the last one frees the lock and wakes the longest waiter.
  // std::logic_error when the current greenlet does not own it.
  void release();

  bool locked() const noexcept { return owner_ != nullptr; }
  // Owned by the current greenlet.
  bool owned() const noexcept;
  // How many times the owner holds it.
  std::size_t depth() const noexcept { return depth_; }

  void lock() { acquire(); }
  bool try_lock() { return try_acquire(); }
  template <class Rep, class Period>
  bool try_lock_for(const std::chrono::duration<Rep, Period>& d) {
    return acquire(std::chrono::duration_cast<Duration>(d));
  }
  template <class C, class D>
  bool try_lock_until(const std::chrono::time_point<C, D>& deadline) {
    return acquire(std::chrono::duration_cast<Duration>(deadline - C::now()));
  }
  void unlock() { release(); }

 private:
  bool reenter();
  Lock lock_;
  Greenlet* owner_ = nullptr;
  std::size_t depth_ = 0;
};

}  // namespace fern
