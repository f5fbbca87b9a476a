#include "fern/sync/semaphore.hpp"

#include <stdexcept>

namespace fern {

bool Semaphore::acquire(Duration timeout) {
  const TimePoint deadline = deadline_after(timeout);
  for (;;) {
    if (try_acquire()) return true;  // a free permit, or the one reserved for us
    if (!waiters_.wait(deadline)) return false;
  }
}

bool Semaphore::try_acquire() noexcept {
  if (count_ <= waiters_.reserved()) return false;
  --count_;
  return true;
}

void Semaphore::release() {
  if (count_ >= bound_) throw std::logic_error(over_release_);
  ++count_;
  wake_waiters();
}

std::size_t Semaphore::wait(Duration timeout) {
  const TimePoint deadline = deadline_after(timeout);
  while (counter() == 0) {
    if (!waiters_.wait(deadline)) return counter();
  }
  // We may have been woken with a permit reserved for us that we do not take: pass it on.
  const std::size_t free = counter();
  wake_waiters();
  return free;
}

void Semaphore::wake_waiters() noexcept {
  while (count_ > waiters_.reserved() && waiters_.notify_one()) {
  }
}

}  // namespace fern
