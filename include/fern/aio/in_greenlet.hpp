// Greenlets from tasks: join(greenlet) suspends a task until a spawned greenlet finishes and
// yields its result (or rethrows its exception); in_greenlet(fn) runs blocking, greenlet-style code
// (anything that parks through fern::Waiter: sync primitives, fern sockets, the clients,
// thread-pool calls) in a greenlet and awaits its result, so a task can use it without blocking the
// hub. That greenlet is a carrier (fern/aio/detail/carrier.hpp), reused from call to call: no spawn
// per call, and fresh GreenletLocals for each.
//
// Interrupts: when the awaiting task is cancelled or its timeout scope fires, in_greenlet kills
// the call and waits for it to unwind before raising, so whatever it was waiting on (a queue
// slot, a permit) is released by the greenlet's own kill-safe path. If the greenlet had already
// produced its result, the result is returned and the interrupt is raised at the task's next
// await instead: a value taken from a queue is never dropped.
#pragma once

#include <exception>
#include <type_traits>
#include <utility>

#include "fern/aio/detail/carrier.hpp"
#include "fern/aio/detail/ready_awaiter.hpp"
#include "fern/aio/task.hpp"
#include "fern/base/clock.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/timeout.hpp"

namespace fern::aio {

namespace detail {
[[noreturn]] void throw_greenlet_join_timeout();
}  // namespace detail

// Suspends until `g` finishes; its result, or its exception. TimeoutError when `timeout` passes
// first (the greenlet keeps running).
template <class R>
Task<R> join(GreenletRef<R> g, Duration timeout = kForever) {
  const bool finished = co_await detail::ReadyAwaiter(*g, deadline_after(timeout));
  if (!finished) detail::throw_greenlet_join_timeout();
  co_return std::move(g).get(Duration::zero());
}

template <class F>
auto in_greenlet(F fn) -> Task<std::invoke_result_t<F&>> {
  using R = std::invoke_result_t<F&>;
  detail::CarrierCallOf<R, F> call(std::move(fn));
  call.start();
  std::exception_ptr interrupt;
  try {
    co_await detail::ReadyAwaiter(call);
  } catch (...) {
    interrupt = std::current_exception();
  }
  if (interrupt) {
    call.interrupt(std::make_exception_ptr(GreenletExit()));
    co_await detail::ReadyAwaiter(call, TimePoint::max(), /*shielded=*/true);
    if (!call.returned()) std::rethrow_exception(interrupt);
    (co_await detail::this_chain())->pending = interrupt;
  }
  if (std::exception_ptr error = call.error()) std::rethrow_exception(error);
  co_return call.take_result();
}

}  // namespace fern::aio
