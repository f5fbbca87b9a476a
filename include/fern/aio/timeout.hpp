// Timeout scopes for tasks, asyncio.timeout and wait_for. `auto scope = co_await aio::timeout(d);`
// arms a timer for the rest of the enclosing block: if it fires while the task (or a task it
// awaits inline) is suspended, that await throws fern::TimeoutError, which unwinds to wherever the
// task catches it. Leaving the block disarms it. Scopes nest; fired() tells which one expired:
//
//   auto scope = co_await aio::timeout(2s);
//   try { co_await slow(); } catch (const fern::TimeoutError&) { if (!scope.fired()) throw; ... }
//
// wait_for(task, d) awaits `task` under a scope of its own and returns its result, or throws
// TimeoutError after cancelling it (the task's frame unwinds first).
#pragma once

#include <coroutine>
#include <exception>

#include "fern/aio/task.hpp"
#include "fern/base/clock.hpp"
#include "fern/hub/timer_heap.hpp"

namespace fern {
class Hub;
}  // namespace fern

namespace fern::aio {

class TimeoutScope {
 public:
  // kForever never fires.
  TimeoutScope(detail::TaskChain* chain, Duration d);
  TimeoutScope(const TimeoutScope&) = delete;
  TimeoutScope& operator=(const TimeoutScope&) = delete;
  ~TimeoutScope() { cancel(); }

  // Disarms it; an expiry not yet raised is withdrawn.
  void cancel() noexcept;
  bool fired() const noexcept { return fired_; }
  bool pending() const noexcept { return timer_.armed(); }

 private:
  static void on_expire(Timer& t) noexcept;

  Hub* hub_;
  detail::TaskChain* chain_;
  Timer timer_;
  std::exception_ptr raised_;  // what on_expire raised, while it may still be pending
  bool fired_ = false;
};

// co_await timeout(d): a TimeoutScope for the awaiting task (never suspends).
class TimeoutAwaiter {
 public:
  explicit TimeoutAwaiter(Duration d) noexcept : duration_(d) {}
  bool await_ready() const noexcept { return false; }
  template <detail::ChainedPromise P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    chain_ = h.promise().chain();
    return false;
  }
  TimeoutScope await_resume() const { return TimeoutScope(chain_, duration_); }

 private:
  Duration duration_;
  detail::TaskChain* chain_ = nullptr;
};

inline TimeoutAwaiter timeout(Duration d) noexcept { return TimeoutAwaiter(d); }

template <class T>
Task<T> wait_for(Task<T> task, Duration d) {
  auto scope = co_await timeout(d);
  co_return co_await std::move(task);
}

}  // namespace fern::aio
