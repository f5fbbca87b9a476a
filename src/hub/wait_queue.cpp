#include "fern/hub/wait_queue.hpp"

#include "fern/hub/waiter.hpp"

namespace fern {

bool WaitQueue::wait(TimePoint deadline) {
  Waiter waiter;
  Entry entry;
  entry.waiter = &waiter;
  entries_.push_back(entry);
  bool woken;
  try {
    woken = waiter.park(deadline);
  } catch (...) {
    entry.unlink();
    if (entry.notified) notify_one();  // do not swallow a notification meant for someone
    throw;
  }
  entry.unlink();
  return woken || entry.notified;
}

bool WaitQueue::notify_one() noexcept {
  Entry* e = entries_.pop_front();
  if (!e) return false;
  e->notified = true;
  e->waiter->wake();
  return true;
}

void WaitQueue::notify_all() noexcept {
  while (notify_one()) {
  }
}

}  // namespace fern
