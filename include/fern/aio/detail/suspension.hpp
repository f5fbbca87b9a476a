// Suspension: the one place a task suspends on the hub. Every aio awaitable holds one: a
// coroutine-mode fern::Waiter (in the awaiting frame, so suspending allocates nothing) that it
// registers where a greenlet would register its own Waiter (a WaitQueue, the driver, a timer, a
// Waitable link). The chain records it as its current park, so cancellation and timeout scopes
// fail it exactly as kills and fern::Timeout fail a parked greenlet.
//
// An awaitable's await_suspend calls interrupted() first (an interrupt that arrived while the task
// ran is raised without suspending), then registers its wake source, then suspend(); its
// await_resume calls resume(), which returns false when the deadline passed and throws interrupts.
#pragma once

#include <coroutine>
#include <exception>

#include "fern/aio/task.hpp"
#include "fern/base/clock.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/waiter.hpp"

namespace fern::aio::detail {

class Suspension {
 public:
  // `shielded`: interrupts wait for the next unshielded await (used while a task cleans up after
  // one, e.g. waiting for the children it just cancelled).
  explicit Suspension(TimePoint deadline = TimePoint::max(), bool shielded = false) noexcept
      : waiter_(Hub::current()), deadline_(deadline), shielded_(shielded) {}
  Suspension(const Suspension&) = delete;
  Suspension& operator=(const Suspension&) = delete;
  ~Suspension() { leave(); }

  template <ChainedPromise P>
  bool interrupted(std::coroutine_handle<P> h) noexcept {
    chain_ = h.promise().chain();
    if (shielded_ || !chain_ || !chain_->pending) return false;
    interrupt_ = chain_->take_pending();
    return true;
  }
  void suspend(std::coroutine_handle<> h) {
    waiter_.suspend(h, deadline_);
    if (chain_ && !shielded_) chain_->parked = &waiter_;
  }
  bool resume() {
    leave();
    if (interrupt_) std::rethrow_exception(std::exchange(interrupt_, nullptr));
    return waiter_.resumed();
  }

  Waiter& waiter() noexcept { return waiter_; }

 private:
  void leave() noexcept {
    if (chain_ && chain_->parked == &waiter_) chain_->parked = nullptr;
  }

  Waiter waiter_;
  TaskChain* chain_ = nullptr;
  std::exception_ptr interrupt_;
  TimePoint deadline_;
  bool shielded_;
};

}  // namespace fern::aio::detail
