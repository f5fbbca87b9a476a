// gather: run tasks concurrently and collect their results, asyncio.gather made structured.
// co_await gather(a(), b(), c()) spawns each, suspends until all have finished, and yields a tuple
// of their results in argument order (std::monostate for a Task<void>). gather_all does the same
// for a vector of same-typed tasks.
//
// Failure is structured, as in a TaskGroup: the first task to fail gets the others cancelled; when
// every one has finished, its exception is rethrown. If the awaiting task is itself cancelled or
// its timeout fires, all are cancelled and awaited before the interrupt propagates: no task
// outlives the gather.
//
// gather_settled / gather_all_settled are asyncio.gather(..., return_exceptions=True): every task
// runs to its end, none is cancelled by another's failure, and each result is a Settled<T> holding
// the value or the exception.
#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "fern/aio/spawn.hpp"
#include "fern/aio/task.hpp"

namespace fern::aio {

namespace detail {

template <class T>
using GatherResult = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <class T>
GatherResult<T> take_result(const TaskHandle<T>& h) {
  if constexpr (std::is_void_v<T>) {
    h.take();
    return {};
  } else {
    return h.take();
  }
}

// Waits for all of `tasks`. With `fail_fast` the first failure cancels the rest and is rethrown
// once every one has finished; without, failures are left in the tasks. An interrupt of the
// awaiting task cancels them all and is rethrown once they have finished.
Task<void> supervise(std::vector<SpawnedTask*> tasks, bool fail_fast);

template <class... T>
std::vector<SpawnedTask*> records_of(const std::tuple<TaskHandle<T>...>& handles) {
  return std::apply([](const auto&... h) { return std::vector<SpawnedTask*>{h.record()...}; }, handles);
}
template <class T>
std::vector<SpawnedTask*> records_of(const std::vector<TaskHandle<T>>& handles) {
  std::vector<SpawnedTask*> records;
  records.reserve(handles.size());
  for (const TaskHandle<T>& h : handles) records.push_back(h.record());
  return records;
}
template <class T>
std::vector<TaskHandle<T>> spawn_each(std::vector<Task<T>>& tasks) {
  std::vector<TaskHandle<T>> handles;
  handles.reserve(tasks.size());
  for (Task<T>& t : tasks) handles.push_back(spawn(std::move(t)));
  return handles;
}

}  // namespace detail

// One task's outcome in a settled gather: its value (std::monostate for void) or its exception.
template <class T>
class Settled {
 public:
  using value_type = detail::GatherResult<T>;
  explicit Settled(value_type value) : value_(std::move(value)) {}
  explicit Settled(std::exception_ptr error) noexcept : error_(std::move(error)) {}

  bool ok() const noexcept { return !error_; }
  std::exception_ptr exception() const noexcept { return error_; }
  // The value, or the task's exception rethrown.
  const value_type& value() const {
    if (error_) std::rethrow_exception(error_);
    return *value_;
  }

 private:
  std::optional<value_type> value_;
  std::exception_ptr error_;
};

namespace detail {
template <class T>
Settled<T> take_settled(const TaskHandle<T>& h) {
  if (!h.successful()) return Settled<T>(h.exception());
  return Settled<T>(take_result(h));
}
}  // namespace detail

template <class... T>
Task<std::tuple<detail::GatherResult<T>...>> gather(Task<T>... tasks) {
  std::tuple<TaskHandle<T>...> handles{spawn(std::move(tasks))...};
  co_await detail::supervise(detail::records_of(handles), /*fail_fast=*/true);
  co_return std::apply(
      [](const auto&... h) { return std::tuple<detail::GatherResult<T>...>{detail::take_result(h)...}; },
      handles);
}

template <class T>
Task<std::vector<detail::GatherResult<T>>> gather_all(std::vector<Task<T>> tasks) {
  std::vector<TaskHandle<T>> handles = detail::spawn_each(tasks);
  co_await detail::supervise(detail::records_of(handles), /*fail_fast=*/true);
  std::vector<detail::GatherResult<T>> results;
  results.reserve(handles.size());
  for (const TaskHandle<T>& h : handles) results.push_back(detail::take_result(h));
  co_return results;
}

template <class... T>
Task<std::tuple<Settled<T>...>> gather_settled(Task<T>... tasks) {
  std::tuple<TaskHandle<T>...> handles{spawn(std::move(tasks))...};
  co_await detail::supervise(detail::records_of(handles), /*fail_fast=*/false);
  co_return std::apply([](const auto&... h) { return std::tuple<Settled<T>...>{detail::take_settled(h)...}; },
                       handles);
}

template <class T>
Task<std::vector<Settled<T>>> gather_all_settled(std::vector<Task<T>> tasks) {
  std::vector<TaskHandle<T>> handles = detail::spawn_each(tasks);
  co_await detail::supervise(detail::records_of(handles), /*fail_fast=*/false);
  std::vector<Settled<T>> results;
  results.reserve(handles.size());
  for (const TaskHandle<T>& h : handles) results.push_back(detail::take_settled(h));
  co_return results;
}

}  // namespace fern::aio
