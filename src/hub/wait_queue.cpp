#include "fern/hub/wait_queue.hpp"

#include <system_error>

#include "fern/base/error.hpp"
#include "fern/hub/waiter.hpp"

namespace fern {

WaitQueue::~WaitQueue() {
  while (Entry* e = notified_.pop_front()) e->queue = nullptr;
  while (Entry* e = entries_.pop_front()) {
    e->queue = nullptr;
    e->waiter->fail(std::make_exception_ptr(
        std::system_error(make_error_code(Errc::closed), "fern: the object waited on was destroyed")));
  }
}

bool WaitQueue::wait(TimePoint deadline) {
  Waiter waiter;
  waiter.waits_on({kind_, owner_ ? owner_ : this});
  Entry entry;
  entry.waiter = &waiter;
  entry.queue = this;
  entries_.push_back(entry);
  bool woken;
  try {
    woken = waiter.park(deadline);
  } catch (...) {
    entry.unlink();
    // Do not swallow a notification meant for someone: pass it on, if the queue still exists.
    if (entry.notified && entry.queue) entry.queue->notify_one();
    throw;
  }
  entry.unlink();
  return woken || entry.notified;
}

bool WaitQueue::notify_one() noexcept {
  Entry* e = entries_.pop_front();
  if (!e) return false;
  e->notified = true;
  notified_.push_back(*e);
  e->waiter->wake();
  return true;
}

void WaitQueue::notify_all() noexcept {
  while (notify_one()) {
  }
}

}  // namespace fern
