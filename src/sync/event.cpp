#include "fern/sync/event.hpp"

namespace fern {

void Event::set() {
  if (flag_) return;
  flag_ = true;
  ++sets_;
  waiters_.notify_all();
  fire_links();
}

bool Event::wait(Duration timeout) {
  if (flag_) return true;
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
