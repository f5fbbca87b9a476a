#include "fern/sync/queue.hpp"

#include <stdexcept>

namespace fern {

QueueEmpty::QueueEmpty(Errc why)
    : std::system_error(make_error_code(why), why == Errc::timed_out ? "fern: no item arrived in time"
                                                                     : "fern: the queue is empty") {}

QueueFull::QueueFull(Errc why)
    : std::system_error(make_error_code(why), why == Errc::timed_out ? "fern: no room in the queue in time"
                                                                     : "fern: the queue is full") {}

namespace detail {

void TaskCounter::done() {
  if (unfinished_ == 0) throw std::logic_error("fern: task_done() called more times than items were put");
  if (--unfinished_ == 0) joiners_.notify_all();
}

bool TaskCounter::join(Duration timeout) {
  if (unfinished_ == 0) return true;
  if (timeout <= Duration::zero()) return false;
  const TimePoint deadline = timeout == kForever ? TimePoint::max() : deadline_after(timeout);
  while (unfinished_ > 0) {
    if (!joiners_.wait(deadline)) break;
  }
  return unfinished_ == 0;
}

}  // namespace detail
}  // namespace fern
