// to_thread, asyncio's: co_await to_thread(fn) runs fn on the hub's thread pool (fern::spawn_blocking)
// and yields its value or rethrows its exception; the hub runs everything else meanwhile.
#pragma once

#include <type_traits>
#include <utility>

#include "fern/aio/in_greenlet.hpp"
#include "fern/aio/task.hpp"
#include "fern/hub/thread_pool.hpp"

namespace fern::aio {

template <class F>
auto to_thread(F fn) -> Task<std::invoke_result_t<F&>> {
  return in_greenlet([fn = std::move(fn)]() mutable { return spawn_blocking(std::move(fn)); });
}

}  // namespace fern::aio
