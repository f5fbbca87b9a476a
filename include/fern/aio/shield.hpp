// shield, as asyncio has it: co_await shield(task()) runs the task as a task of its own and awaits it:
// cancelling the awaiting task (or its timeout firing) ends the await, not the shielded work, which runs to
// its end (a write that must not be cut half-way). Spawn it yourself and keep the handle to collect its
// result after such an interrupt.
#pragma once

#include <type_traits>
#include <utility>

#include "fern/aio/spawn.hpp"
#include "fern/aio/task.hpp"

namespace fern::aio {

template <class T>
Task<T> shield(Task<T> task) {
  TaskHandle<T> handle = spawn(std::move(task));
  if constexpr (std::is_void_v<T>) {
    co_await handle;
  } else {
    co_return co_await handle;
  }
}

}  // namespace fern::aio
