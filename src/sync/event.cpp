#include "fern/sync/event.hpp"

#include "fern/hub/sleep.hpp"

namespace fern {

void Event::set() {
  if (flag_) return;
  flag_ = true;
  ++sets_;
  waiters_.notify_all();
  fire_links();
}

bool Event::wait(Duration timeout) {
  if (flag_) {
    // gevent's order (gevent#1520): a wait() on an event whose set() is still waking its waiters
    // returns after them, not before; one yield puts the caller behind them in the ready queue,
    // with no trip through the hub's poll.
    if (waiters_.notifying() && timeout > Duration::zero()) yield();
    return true;
  }
  if (timeout <= Duration::zero()) return false;  // a zero timeout never parks
  const std::uint64_t seen = sets_;
  // No clock read for the common wait without a timeout.
  const TimePoint deadline = timeout == kForever ? TimePoint::max() : deadline_after(timeout);
  while (sets_ == seen) {
    if (!waiters_.wait(deadline)) break;
  }
  return sets_ != seen;
}

}  // namespace fern
