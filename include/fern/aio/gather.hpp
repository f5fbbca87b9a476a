// gather: run tasks concurrently and collect their results, asyncio.gather made structured.
// co_await gather(a(), b(), c()) spawns each, suspends until all have finished, and yields a tuple
// of their results in argument order (std::monostate for a Task<void>). gather_all does the same
// for a vector of same-typed tasks.
//
// Failure is structured, as in a TaskGroup: the first task to fail gets the others cancelled; when
// every one has finished, its exception is rethrown. If the awaiting task is itself cancelled or
// its timeout fires, all are cancelled and awaited before the interrupt propagates: no task
// outlives the gather.
#pragma once

#include <cstddef>
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

// Waits for all of `tasks`; the first failure cancels the rest; an interrupt of the awaiting task
// cancels them all. Rethrows the failure (or the interrupt) once every one has finished.
Task<void> supervise(std::vector<SpawnedTask*> tasks);

}  // namespace detail

template <class... T>
Task<std::tuple<detail::GatherResult<T>...>> gather(Task<T>... tasks) {
  std::tuple<TaskHandle<T>...> handles{spawn(std::move(tasks))...};
  std::vector<detail::SpawnedTask*> records =
      std::apply([](const auto&... h) { return std::vector<detail::SpawnedTask*>{h.record()...}; }, handles);
  co_await detail::supervise(std::move(records));
  co_return std::apply(
      [](const auto&... h) { return std::tuple<detail::GatherResult<T>...>{detail::take_result(h)...}; },
      handles);
}

template <class T>
Task<std::vector<detail::GatherResult<T>>> gather_all(std::vector<Task<T>> tasks) {
  std::vector<TaskHandle<T>> handles;
  std::vector<detail::SpawnedTask*> records;
  handles.reserve(tasks.size());
  records.reserve(tasks.size());
  for (Task<T>& t : tasks) {
    handles.push_back(spawn(std::move(t)));
    records.push_back(handles.back().record());
  }
  co_await detail::supervise(std::move(records));
  std::vector<detail::GatherResult<T>> results;
  results.reserve(handles.size());
  for (const TaskHandle<T>& h : handles) results.push_back(detail::take_result(h));
  co_return results;
}

}  // namespace fern::aio
