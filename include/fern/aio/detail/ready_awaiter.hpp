// ReadyAwaiter: suspends a task until a fern::Waitable is ready (a finished greenlet or task, a
// set Event, an AsyncResult with a value) or a deadline passes. The Waitable's link wakes the
// task's Waiter, the same intrusive link fern::wait uses for greenlets.
#pragma once

#include <coroutine>

#include "fern/aio/detail/suspension.hpp"
#include "fern/aio/task.hpp"
#include "fern/base/clock.hpp"
#include "fern/hub/waitable.hpp"
#include "fern/hub/waiter.hpp"

namespace fern::aio::detail {

class ReadyAwaiter {
 public:
  explicit ReadyAwaiter(Waitable& target, TimePoint deadline = TimePoint::max(),
                        bool shielded = false) noexcept
      : target_(target), suspension_(deadline, shielded) {
    link_.fire = &ReadyAwaiter::on_ready;
    link_.owner = &suspension_.waiter();
  }
  ReadyAwaiter(const ReadyAwaiter&) = delete;
  ReadyAwaiter& operator=(const ReadyAwaiter&) = delete;
  ~ReadyAwaiter() { link_.unlink(); }

  bool await_ready() const noexcept { return target_.ready(); }
  template <ChainedPromise P>
  bool await_suspend(std::coroutine_handle<P> h) {
    if (suspension_.interrupted(h)) return false;
    suspension_.suspend(h);
    target_.add_link(link_);
    return true;
  }
  // True when the target is ready (or woke us), false when the deadline passed first.
  bool await_resume() {
    link_.unlink();
    bool woken = suspension_.resume();
    return woken || target_.ready();
  }

 private:
  static void on_ready(Link& link) noexcept { static_cast<Waiter*>(link.owner)->wake(); }

  Waitable& target_;
  Link link_;
  Suspension suspension_;
};

}  // namespace fern::aio::detail
