// FairWaitQueue: a WaitQueue whose notifications reserve a unit of something (a permit, an item, a
// free slot) for the greenlet they wake. It is what makes the sync primitives FIFO-fair: a unit
// freed while greenlets wait is promised to the longest waiter, and a newcomer that arrives before
// that waiter runs sees only the unreserved units, so it cannot barge in.
//
// Nothing is handed over: the unit stays in the primitive, and the woken greenlet takes it itself
// when it runs. The reservation is what moves. A greenlet killed (or hit by a fern::Timeout) after
// being notified does not take its unit; its reservation passes to the next waiter, or lapses when
// nobody waits, so a kill never leaks a permit, loses an item or strands a waiter.
//
// The pattern every primitive follows (units() is what it has, e.g. the items in a queue):
//
//   for (;;) {
//     if (units() > waiters.reserved()) return take_one();      // fast path, or our reservation
//     if (!waiters.wait(deadline)) return timed_out();
//   }
//   ...and whenever units() grows: while (units() > waiters.reserved() && waiters.notify_one()) {}
//
// wait() parks like WaitQueue::wait and throws what is thrown into the greenlet (kill, Timeout).
#pragma once

#include <cstddef>

#include "fern/base/clock.hpp"
#include "fern/base/intrusive_list.hpp"
#include "fern/hub/wait_queue.hpp"

namespace fern {

class Greenlet;

class FairWaitQueue {
 public:
  FairWaitQueue() = default;
  // Names the waits in fern::run_info(), as WaitQueue(kind, owner) does.
  explicit FairWaitQueue(const char* kind, const void* owner = nullptr) noexcept : queue_(kind, owner) {}
  FairWaitQueue(const FairWaitQueue&) = delete;
  FairWaitQueue& operator=(const FairWaitQueue&) = delete;
  // Greenlets still inside wait() are resumed with std::system_error (Errc::closed) instead of
  // being stranded, and no longer touch this object.
  ~FairWaitQueue();

  // Parks until notified or `deadline`. True when notified: the caller's reservation has been
  // released (reserved() no longer counts it) and the caller should take its unit before it
  // parks or yields again. False when the deadline passed without a notification; a deadline
  // already past returns false at once, without parking.
  bool wait(TimePoint deadline = TimePoint::max());
  bool wait_for(Duration timeout) { return wait(deadline_after(timeout)); }

  // Wakes the longest waiter and reserves one unit for it; false when nobody waits (nothing is
  // reserved then).
  bool notify_one() noexcept;

  // Units promised to notified greenlets that have not run yet.
  std::size_t reserved() const noexcept { return reserved_; }
  // Greenlets parked and not yet notified.
  bool has_waiters() const noexcept { return !parked_.empty(); }
  // Greenlets inside wait(), notified or not.
  std::size_t waiting() const noexcept { return waiting_; }

 private:
  // One per greenlet inside wait(), on its stack. It mirrors the greenlet's entry in queue_, so
  // this class knows which greenlet holds a reservation, and the destructor can reach them all.
  struct Frame : ListNode {
    FairWaitQueue* owner = nullptr;
    Greenlet* greenlet = nullptr;
    bool notified = false;
  };
  void leave_after_error(Frame& frame) noexcept;

  WaitQueue queue_;
  IntrusiveList<Frame> parked_;    // not notified yet, in queue_'s order
  IntrusiveList<Frame> notified_;  // notified, not yet run
  std::size_t waiting_ = 0;
  std::size_t reserved_ = 0;
};

}  // namespace fern
