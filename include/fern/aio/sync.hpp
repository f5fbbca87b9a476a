// Sync primitives from tasks: a task awaits fern's Event, AsyncResult, Queue family, Lock,
// Semaphore, Condition and Barrier without blocking the hub, sharing them with greenlets.
//
// How it blocks: Event, AsyncResult and anything else that is a fern::Waitable are awaited
// natively (until_ready links the task's Waiter to the object, as fern::wait does for
// greenlets). Queues and semaphores keep their FIFO reservations and kill-safety in one place,
// their greenlet path: an await that cannot complete at once hands the wait to a short-lived
// greenlet (aio::in_greenlet), which parks in the primitive as any greenlet would; one that can
// complete at once (an item is there, a permit is free) never leaves the task.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

#include "fern/aio/detail/ready_awaiter.hpp"
#include "fern/aio/in_greenlet.hpp"
#include "fern/aio/task.hpp"
#include "fern/base/clock.hpp"
#include "fern/hub/waitable.hpp"
#include "fern/sync/async_result.hpp"
#include "fern/sync/barrier.hpp"
#include "fern/sync/condition.hpp"
#include "fern/sync/event.hpp"
#include "fern/sync/lock.hpp"
#include "fern/sync/queue.hpp"

namespace fern::aio {

// Suspends until `w` is ready; false when `timeout` passed first.
inline detail::ReadyAwaiter until_ready(Waitable& w, Duration timeout = kForever) {
  return detail::ReadyAwaiter(w, deadline_after(timeout));
}

// Event::wait for tasks: true once the event is set, false when `timeout` passed first.
inline detail::ReadyAwaiter wait(Event& event, Duration timeout = kForever) {
  return until_ready(event, timeout);
}

// AsyncResult::get for tasks: the value, or the stored exception; TimeoutError when `timeout`
// passes first. The value is copied (the result keeps it for every other waiter).
template <class T>
Task<T> get(AsyncResult<T>& result, Duration timeout = kForever) {
  co_await until_ready(result, timeout);
  co_return result.get_nowait();
}

// Queue::get for tasks: QueueEmpty (Errc::timed_out) when `timeout` passes first.
template <class T, class Store>
Task<T> get(BasicQueue<T, Store>& queue, Duration timeout = kForever) {
  if (std::optional<T> item = queue.try_get()) co_return std::move(*item);
  co_return co_await in_greenlet([&queue, timeout] { return queue.get(timeout); });
}

// Queue::put for tasks: QueueFull (Errc::timed_out) when `timeout` passes first.
template <class T, class Store>
Task<void> put(BasicQueue<T, Store>& queue, T item, Duration timeout = kForever) {
  if (queue.try_put(std::move(item))) co_return;
  co_await in_greenlet([&queue, &item, timeout] { queue.put(std::move(item), timeout); });
}

// Semaphore / BoundedSemaphore / Lock acquire for tasks: true with the permit taken, false when
// `timeout` passed first. Release with release() as usual. (RLock is owned by a greenlet and has
// no task form.)
template <class S>
requires std::is_base_of_v<Semaphore, S> Task<bool> acquire(S& semaphore, Duration timeout = kForever) {
  if (semaphore.try_acquire()) co_return true;
  co_return co_await in_greenlet([&semaphore, timeout] { return semaphore.acquire(timeout); });
}

// A permit held for a scope, asyncio's `async with lock:`: released when it goes out of scope, on
// every path (co_return, an exception, a cancelled task).
//
//   auto held = co_await aio::scoped_acquire(lock);
//   if (auto held = co_await aio::scoped_acquire(semaphore, 50ms)) { ... }  // false: timed out
template <class S>
class [[nodiscard]] ScopedPermit {
 public:
  ScopedPermit(S* semaphore) noexcept : semaphore_(semaphore) {}
  ScopedPermit(ScopedPermit&& o) noexcept : semaphore_(std::exchange(o.semaphore_, nullptr)) {}
  ScopedPermit& operator=(ScopedPermit&&) = delete;
  ~ScopedPermit() { release(); }
  // Whether the permit was taken (false only after a timeout).
  explicit operator bool() const noexcept { return semaphore_ != nullptr; }
  // Gives the permit back before the scope ends.
  void release() {
    if (S* s = std::exchange(semaphore_, nullptr)) s->release();
  }

 private:
  S* semaphore_;
};

template <class S>
requires std::is_base_of_v<Semaphore, S> Task<ScopedPermit<S>> scoped_acquire(S& semaphore,
                                                                              Duration timeout = kForever) {
  const bool taken = co_await acquire(semaphore, timeout);
  co_return ScopedPermit<S>(taken ? &semaphore : nullptr);
}

// A Condition's lock, for a task: co_await scoped_acquire(condition).
inline Task<ScopedPermit<Lock>> scoped_acquire(Condition& condition, Duration timeout = kForever) {
  return scoped_acquire(condition.underlying_lock(), timeout);
}

// Condition::wait for tasks: the task holds the condition's lock (scoped_acquire(condition)); the
// lock is released while it waits and held again when this returns.
inline Task<bool> wait(Condition& condition, Duration timeout = kForever) {
  co_return co_await in_greenlet([&condition, timeout] { return condition.wait(timeout); });
}

// Barrier::wait for tasks: the arrival index, or BrokenBarrier.
inline Task<std::size_t> wait(Barrier& barrier, Duration timeout = kForever) {
  co_return co_await in_greenlet([&barrier, timeout] { return barrier.wait(timeout); });
}

}  // namespace fern::aio
