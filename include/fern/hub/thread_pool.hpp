// ThreadPool and spawn_blocking: threads for work that must block the thread it runs on (a
// blocking library call, a long computation). spawn_blocking(fn) runs fn on the process's pool and
// parks only the calling greenlet; the hub keeps running the others. If the caller gives up
// (timeout, kill) the call still finishes on its thread; its result is dropped.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include "fern/base/clock.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/timeout.hpp"
#include "fern/hub/waiter.hpp"

namespace fern {

class ThreadPool {
 public:
  // Threads start on demand, up to `max_threads`, and stay for reuse.
  explicit ThreadPool(std::size_t max_threads);
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  // Finishes the queued jobs, then joins the threads.
  ~ThreadPool();

  void submit(std::function<void()> job);
  std::size_t threads() const;

  // The process-wide pool spawn_blocking uses: FERN_THREADPOOL_SIZE threads at most (default 16).
  static ThreadPool& shared();

 private:
  void work();

  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  std::size_t max_threads_;
  std::size_t idle_ = 0;
  bool stopping_ = false;
};

namespace detail {
template <class R>
struct BlockingCall {
  std::optional<std::conditional_t<std::is_void_v<R>, bool, R>> value;
  std::exception_ptr error;
  bool done = false;
  Waiter* waiter = nullptr;  // the parked caller, null once it stopped waiting
};
}  // namespace detail

template <class F>
auto spawn_blocking(F&& fn, Duration timeout = kForever) -> std::invoke_result_t<F> {
  using R = std::invoke_result_t<F>;
  Hub& hub = Hub::current();
  auto call = std::make_shared<detail::BlockingCall<R>>();
  RemoteHub remote = hub.remote();
  hub.add_external_ref();
  ThreadPool::shared().submit([call, remote, hub_ptr = &hub, f = std::forward<F>(fn)]() mutable {
    try {
      if constexpr (std::is_void_v<R>) {
        f();
        call->value.emplace(true);
      } else {
        call->value.emplace(f());
      }
    } catch (...) {
      call->error = std::current_exception();
    }
    remote.call([call, hub_ptr] {
      call->done = true;
      hub_ptr->release_external_ref();
      if (call->waiter) call->waiter->wake();
    });
  });
  TimePoint deadline = timeout == kForever ? TimePoint::max() : deadline_after(timeout);
  Waiter waiter;
  waiter.waits_on({"thread-pool job"});
  call->waiter = &waiter;
  try {
    while (!call->done) {
      if (!waiter.park(deadline)) throw TimeoutError(nullptr, "fern: spawn_blocking timed out");
    }
  } catch (...) {
    call->waiter = nullptr;
    throw;
  }
  call->waiter = nullptr;
  if (call->error) std::rethrow_exception(call->error);
  if constexpr (!std::is_void_v<R>) return std::move(*call->value);
}

}  // namespace fern
