#include "fern/sync/fair_wait_queue.hpp"

#include <exception>
#include <system_error>

#include "fern/base/error.hpp"
#include "fern/greenlet/greenlet.hpp"
#include "fern/hub/waiter.hpp"

namespace fern {
namespace {

constexpr const char* kDestroyed = "fern: a sync primitive was destroyed while a greenlet waited on it";

}  // namespace

FairWaitQueue::~FairWaitQueue() {
  // Not yet notified: raise in them (their WaitQueue entry dies with queue_, so nothing is
  // passed on). Notified ones are already scheduled and see the missing owner when they run.
  std::exception_ptr closed;
  parked_.for_each([&](Frame& f) {
    f.owner = nullptr;
    Waiter* w = Waiter::of(*f.greenlet);
    if (!w) return;
    if (!closed)
      closed = std::make_exception_ptr(std::system_error(make_error_code(Errc::closed), kDestroyed));
    w->fail(closed);
  });
  notified_.for_each([](Frame& f) { f.owner = nullptr; });
  parked_.clear();
  notified_.clear();
}

bool FairWaitQueue::wait(TimePoint deadline) {
  if (deadline != TimePoint::max() && deadline <= Clock::now()) return false;  // a zero timeout never parks
  Frame frame;
  frame.owner = this;
  frame.greenlet = Greenlet::current();
  parked_.push_back(frame);
  ++waiting_;
  try {
    queue_.wait(deadline);
  } catch (...) {
    if (frame.owner) frame.owner->leave_after_error(frame);
    throw;
  }
  if (!frame.owner) throw_error(Errc::closed, kDestroyed);
  frame.unlink();
  --waiting_;
  if (!frame.notified) return false;
  --reserved_;
  return true;
}

// queue_ has already passed a notification this greenlet got on to its next waiter, if any; the
// reservation follows it, or lapses with nobody left to hold it.
void FairWaitQueue::leave_after_error(Frame& frame) noexcept {
  frame.unlink();
  --waiting_;
  if (!frame.notified) return;
  if (Frame* next = parked_.pop_front()) {
    next->notified = true;
    notified_.push_back(*next);
  } else {
    --reserved_;
  }
}

bool FairWaitQueue::notify_one() noexcept {
  Frame* f = parked_.pop_front();
  if (!f) return false;
  f->notified = true;
  notified_.push_back(*f);
  ++reserved_;
  queue_.notify_one();  // wakes the same greenlet: both lists are in arrival order
  return true;
}

}  // namespace fern
