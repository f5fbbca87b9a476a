// submit: a job for a ThreadPool whose outcome is a future greenlets and tasks can both wait for,
// gevent's threadpool.spawn. submit(pool, fn) queues fn and returns at once with a shared
// AsyncResult: a greenlet calls get() (or fern::wait on it with other things), a task co_awaits
// aio::get(*result). The value or the exception fn threw arrives through the hub's thread-safe
// inbox, and the hub counts the job as pending work until it does (no LoopExit meanwhile).
//
//   auto digest = fern::submit(fern::ThreadPool::shared(), [&] { return sha256(file); });
//   ...                       // the greenlet goes on; the hub runs the others
//   use(digest->get());
//
// Unlike spawn_blocking, nothing parks when it is submitted, and many jobs can be in flight from one
// greenlet. Call it on a thread with a hub; the result belongs to that hub.
#pragma once

#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

#include "fern/hub/thread_pool.hpp"
#include "fern/sync/async_result.hpp"

namespace fern {

template <class F>
auto submit(ThreadPool& pool, F fn) -> std::shared_ptr<AsyncResult<std::invoke_result_t<F&>>> {
  using R = std::invoke_result_t<F&>;
  auto result = std::make_shared<AsyncResult<R>>();
  // std::function needs a copyable job: the setter and fn travel in one shared box.
  struct Job {
    ThreadsafeSetter<R> setter;
    F fn;
  };
  auto job = std::make_shared<Job>(Job{result->threadsafe_setter(), std::move(fn)});
  pool.submit([job] {
    try {
      if constexpr (std::is_void_v<R>) {
        job->fn();
        job->setter.set();
      } else {
        job->setter.set(job->fn());
      }
    } catch (...) {
      job->setter.set_exception(std::current_exception());
    }
  });
  return result;
}

}  // namespace fern
