#include "fern/aio/gather.hpp"

#include "fern/aio/detail/tasks_awaiter.hpp"

namespace fern::aio::detail {

namespace {

// The first task in `tasks` that failed with something other than a cancellation.
std::exception_ptr first_failure(const std::vector<SpawnedTask*>& tasks) {
  for (SpawnedTask* t : tasks) {
    if (t->ready() && !t->successful() && !t->cancelled()) return t->exception();
  }
  for (SpawnedTask* t : tasks) {
    if (t->ready() && !t->successful()) return t->exception();
  }
  return nullptr;
}

}  // namespace

Task<void> supervise(std::vector<SpawnedTask*> tasks, bool fail_fast) {
  std::exception_ptr interrupt;
  try {
    co_await TasksAwaiter(tasks, tasks.size(), /*stop_on_failure=*/fail_fast);
  } catch (...) {
    interrupt = std::current_exception();
  }
  std::exception_ptr failure = interrupt || !fail_fast ? nullptr : first_failure(tasks);
  if (interrupt || failure) {
    for (SpawnedTask* t : tasks) t->cancel();
    co_await TasksAwaiter(tasks, tasks.size(), false, TimePoint::max(), /*shielded=*/true);
  }
  if (interrupt) std::rethrow_exception(interrupt);
  if (failure) std::rethrow_exception(failure);
}

}  // namespace fern::aio::detail
