// aio::wait: asyncio.wait for spawned tasks. co_await wait(tasks, when, timeout) suspends the
// awaiting task until the condition holds or `timeout` passes, then returns which tasks are done
// and which are still pending. Nothing is cancelled (a timeout just returns): the caller decides
// what to do with the pending ones.
//
//   first_completed   any one has finished
//   first_exception   any one has failed (or all have finished)
//   all_completed     all have finished (the default)
#pragma once

#include <ranges>
#include <span>
#include <type_traits>
#include <vector>

#include "fern/aio/detail/tasks_awaiter.hpp"
#include "fern/aio/spawn.hpp"
#include "fern/aio/task.hpp"
#include "fern/base/clock.hpp"

namespace fern::aio {

enum class ReturnWhen { first_completed, first_exception, all_completed };

struct WaitResult {
  std::vector<TaskHandle<>> done;
  std::vector<TaskHandle<>> pending;
};

namespace detail {
Task<WaitResult> wait_tasks(std::vector<TaskHandle<>> tasks, ReturnWhen when, Duration timeout);

template <class H>
struct IsTaskHandle : std::false_type {};
template <class T>
struct IsTaskHandle<TaskHandle<T>> : std::true_type {};
}  // namespace detail

// Any range of handles, typed or not: co_await wait(handles, ReturnWhen::first_completed, 1s).
template <std::ranges::input_range R>
requires detail::IsTaskHandle<std::remove_cvref_t<std::ranges::range_value_t<R>>>::value Task<WaitResult>
wait(R&& tasks, ReturnWhen when = ReturnWhen::all_completed, Duration timeout = kForever) {
  std::vector<TaskHandle<>> handles;
  for (auto&& t : tasks) handles.emplace_back(t);
  return detail::wait_tasks(std::move(handles), when, timeout);
}

// co_await wait(spawn(a()), spawn(b())): all_completed over the given tasks, no timeout. There is
// deliberately no braced-list form: g++ 12 miscompiles a braced list whose full-expression awaits,
// so wait({a, b}) does not compile rather than fail at run time.
template <class... T>
requires(sizeof...(T) > 0) Task<WaitResult> wait(const TaskHandle<T>&... tasks) {
  return detail::wait_tasks(std::vector<TaskHandle<>>{TaskHandle<>(tasks)...}, ReturnWhen::all_completed,
                            kForever);
}

}  // namespace fern::aio
