// aio::wait: asyncio.wait for spawned tasks. co_await wait(tasks, when, timeout) suspends the
// awaiting task until the condition holds or `timeout` passes, then returns which tasks are done
// and which are still pending. Nothing is cancelled (a timeout just returns): the caller decides
// what to do with the pending ones.
//
//   first_completed   any one has finished
//   first_exception   any one has failed (or all have finished)
//   all_completed     all have finished (the default)
#pragma once

#include <span>
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

Task<WaitResult> wait(std::vector<TaskHandle<>> tasks, ReturnWhen when = ReturnWhen::all_completed,
                      Duration timeout = kForever);

// co_await wait(spawn(a()), spawn(b())): all_completed over the given tasks, no timeout. (Also the
// form to use inside a coroutine: g++ 12 mishandles a braced list whose full-expression awaits.)
template <class... T>
requires(sizeof...(T) > 0) Task<WaitResult> wait(const TaskHandle<T>&... tasks) {
  return wait(std::vector<TaskHandle<>>{TaskHandle<>(tasks)...});
}

}  // namespace fern::aio
