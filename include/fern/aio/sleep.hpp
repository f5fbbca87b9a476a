// aio::sleep: suspends the awaiting task for a duration (co_await aio::sleep(1s)); the hub runs
// greenlets and other tasks meanwhile. sleep(0) (or yield()) lets everything else that is ready run
// once and comes back, as asyncio.sleep(0) does. Cancellation and timeout scopes end it early by
// throwing.
#pragma once

#include <coroutine>

#include "fern/aio/detail/suspension.hpp"
#include "fern/aio/task.hpp"
#include "fern/base/clock.hpp"

namespace fern::aio {

class SleepAwaiter {
 public:
  explicit SleepAwaiter(TimePoint deadline) noexcept : suspension_(deadline) {}
  bool await_ready() const noexcept { return false; }
  template <detail::ChainedPromise P>
  bool await_suspend(std::coroutine_handle<P> h) {
    if (suspension_.interrupted(h)) return false;
    suspension_.suspend(h);  // the deadline is the only wake source
    return true;
  }
  void await_resume() { suspension_.resume(); }

 private:
  detail::Suspension suspension_;
};

inline SleepAwaiter sleep_until(TimePoint deadline) noexcept { return SleepAwaiter(deadline); }
inline SleepAwaiter sleep(Duration d) noexcept {
  return SleepAwaiter(d <= Duration::zero() ? TimePoint::min() : deadline_after(d));
}
inline SleepAwaiter yield() noexcept { return SleepAwaiter(TimePoint::min()); }

}  // namespace fern::aio
