// Sync primitives from tasks: a task awaits fern's Event, AsyncResult, Queue family, Lock and
// Semaphore without blocking the hub, sharing them with greenlets.
//
// How it blocks: Event, AsyncResult and anything else that is a fern::Waitable are awaited
// natively (until_ready links the task's Waiter to the object, as fern::wait does for
// greenlets). Queues and semaphores keep their FIFO reservations and kill-safety in one place,
// their greenlet path: an await that cannot complete at once hands the wait to a short-lived
// greenlet (aio::in_greenlet), which parks in the primitive as any greenlet would; one that can
// complete at once (an item is there, a permit is free) never leaves the task.
#pragma once

#include <type_traits>
#include <utility>

#include "fern/aio/detail/ready_awaiter.hpp"
#include "fern/aio/in_greenlet.hpp"
#include "fern/aio/task.hpp"
#include "fern/base/clock.hpp"
#include "fern/hub/waitable.hpp"
#include "fern/sync/async_result.hpp"
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

}  // namespace fern::aio
