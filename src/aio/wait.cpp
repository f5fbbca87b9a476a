#include "fern/aio/wait.hpp"

namespace fern::aio::detail {

Task<WaitResult> wait_tasks(std::vector<TaskHandle<>> tasks, ReturnWhen when, Duration timeout) {
  std::vector<detail::SpawnedTask*> records;
  records.reserve(tasks.size());
  for (const TaskHandle<>& t : tasks) records.push_back(t.record());
  const std::size_t enough = when == ReturnWhen::first_completed ? 1 : tasks.size();
  const bool stop_on_failure = when == ReturnWhen::first_exception;
  if (!tasks.empty()) {
    co_await TasksAwaiter(std::move(records), enough, stop_on_failure, deadline_after(timeout));
  }
  WaitResult result;
  for (TaskHandle<>& t : tasks) (t.done() ? result.done : result.pending).push_back(std::move(t));
  co_return result;
}

}  // namespace fern::aio::detail
