// ThreadPool and spawn_blocking: threads for work that must block the thread it runs on (a
// blocking library call, a long computation). spawn_blocking(fn) runs fn on the process's pool and
// parks only the calling greenlet; the hub keeps running the others. If the caller gives up
// (timeout, kill) the call still finishes on its thread; its result is dropped.
//
// After fork(2) the child has none of the pool's threads. Every pool resets itself in the child
// (a pthread_atfork handler): it starts new threads on demand, and the jobs that were queued are
// never run there (they run in the parent) but kept until the pool is destroyed. A spawn_blocking
// whose job was queued or running at the fork fails in the child, once Hub::reinit has run, with
// Errc::cancelled; in the parent it completes as usual.
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
  // pthread_atfork handlers, for every pool: hold each one's lock across the fork, so the child
  // finds its queue whole, then let go (parent) or reset the pool (child).
  static void lock_all_before_fork() noexcept;
  static void unlock_all_after_fork() noexcept;
  static void reset_all_in_child() noexcept;
  void reset_in_child() noexcept;

  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  std::deque<std::function<void()>> orphaned_jobs_;  // queued when the process forked: never run here
  std::vector<std::thread> threads_;
  std::size_t max_threads_;
  std::size_t idle_ = 0;
  bool stopping_ = false;
};

namespace detail {
// What a spawn_blocking caller gets in a child after fork when its job was queued or running.
std::exception_ptr job_lost_in_fork() noexcept;

template <class R>
struct BlockingCall final : OffloadedJob {
  std::optional<std::conditional_t<std::is_void_v<R>, bool, R>> value;
  std::exception_ptr error;
  bool done = false;
  Waiter* waiter = nullptr;  // the parked caller, null once it stopped waiting

  void finish() noexcept {
    done = true;
    if (waiter) waiter->wake();
  }
  void lost_in_fork() noexcept override {
    error = job_lost_in_fork();
    finish();
  }
};
}  // namespace detail

template <class F>
auto spawn_blocking(F&& fn, Duration timeout = kForever) -> std::invoke_result_t<F> {
  using R = std::invoke_result_t<F>;
  Hub& hub = Hub::current();
  auto call = std::make_shared<detail::BlockingCall<R>>();
  RemoteHub remote = hub.remote();
  hub.begin_offloaded_job(call);
  try {
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
        if (hub_ptr->end_offloaded_job(*call)) call->finish();
      });
    });
  } catch (...) {
    hub.end_offloaded_job(*call);
    throw;
  }
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
