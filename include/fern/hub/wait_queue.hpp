// WaitQueue: a FIFO of parked greenlets, fern's condition variable. Every sync primitive is a
// condition plus a WaitQueue: wait() parks until notified or the deadline, and the woken greenlet
// re-checks its condition. Nothing is handed over with a notification, so a greenlet killed or
// timed out after being notified loses nothing: it passes the notification to the next waiter.
#pragma once

#include "fern/base/clock.hpp"
#include "fern/base/intrusive_list.hpp"

namespace fern {

class Waiter;

class WaitQueue {
 public:
  WaitQueue() = default;
  // `kind` names the waits in fern::run_info() ("Event", "Queue.get"); `owner` is the object
  // waited on (defaults to the queue). Both must outlive the queue (string literals, the owner).
  explicit WaitQueue(const char* kind, const void* owner = nullptr) noexcept : kind_(kind), owner_(owner) {}
  WaitQueue(const WaitQueue&) = delete;
  WaitQueue& operator=(const WaitQueue&) = delete;
  // Greenlets still waiting get std::system_error(Errc::closed); notified ones that have not run
  // yet are detached, so they never touch the destroyed queue.
  ~WaitQueue();

  // Parks the current greenlet until notified; false when `deadline` passed first. Throws what
  // is thrown into the greenlet while it waits (kill, Timeout).
  bool wait(TimePoint deadline = TimePoint::max());
  bool wait_for(Duration timeout) {
    return wait(timeout == kForever ? TimePoint::max() : deadline_after(timeout));
  }
  // Wakes the longest waiter; false when none waits.
  bool notify_one() noexcept;
  void notify_all() noexcept;
  bool empty() const noexcept { return entries_.empty(); }
  // True while greenlets notified by this queue have not yet resumed.
  bool notifying() const noexcept { return !notified_.empty(); }
  std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct Entry : ListNode {
    Waiter* waiter = nullptr;
    WaitQueue* queue = nullptr;  // null once the queue is gone
    bool notified = false;
  };
  IntrusiveList<Entry> entries_;   // waiting
  IntrusiveList<Entry> notified_;  // notified, not yet resumed
  const char* kind_ = "WaitQueue";
  const void* owner_ = nullptr;
};

}  // namespace fern
