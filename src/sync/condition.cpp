#include "fern/sync/condition.hpp"

#include <exception>
#include <stdexcept>

namespace fern {

bool Condition::wait(Duration timeout) {
  if (!lock_->locked()) throw std::logic_error("fern: Condition::wait without holding its lock");
  lock_->release();
  bool notified = false;
  try {
    notified = waiters_.wait_for(timeout);
  } catch (...) {
    reacquire_after_interrupt();
    throw;
  }
  lock_->acquire();
  return notified;
}

// The interrupt (a kill, a Timeout) is already on its way up; the caller's guard will release the
// lock, so it must be held again first. Further interrupts during this acquire are dropped (the
// first is what the caller sees); a greenlet interrupted without end (a hub unwinding at exit)
// gives up after a bound rather than spin.
void Condition::reacquire_after_interrupt() noexcept {
  for (int attempt = 0; attempt < 64; ++attempt) {
    try {
      lock_->acquire();
      return;
    } catch (...) {
    }
  }
}

void Condition::notify(std::size_t n) noexcept {
  for (std::size_t i = 0; i < n && waiters_.notify_one(); ++i) {
  }
}

}  // namespace fern
