// spawn / run: start a Task on the hub as an independent unit, asyncio's create_task and run.
// spawn(task) schedules it on the current thread's hub and returns a TaskHandle<T>, a counted
// reference to await, join from a greenlet, or cancel. A spawned task keeps itself alive until it
// finishes, so dropping every handle is fine (its exception is then simply dropped).
//
// How it blocks: co_await handle suspends the awaiting task until the spawned one finishes;
// handle.join(timeout) / handle.get(timeout) park a greenlet (through the hub's WaitQueue), which is
// how a greenlet waits for a task. run(task) spawns it and waits from the calling greenlet (the
// main greenlet, usually), returning its result: asyncio.run for fern.
//
// cancel() raises aio::CancelledError at the task's current await (or at its first, when it has
// not started: its body then never runs). A task may catch it and go on; cancelled() tells
// whether it finished with it.
#pragma once

#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>

#include "fern/aio/detail/ready_awaiter.hpp"
#include "fern/aio/task.hpp"
#include "fern/base/clock.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/wait_queue.hpp"
#include "fern/hub/waitable.hpp"

namespace fern::aio {

namespace detail {

// The spawned task's record: owns the frame, heads its chain, and is what waiters wait on.
class SpawnedTask final : public Waitable, public HubResident {
 public:
  SpawnedTask(Hub& hub, std::coroutine_handle<> frame, TaskPromiseBase& promise) noexcept;
  SpawnedTask(const SpawnedTask&) = delete;
  SpawnedTask& operator=(const SpawnedTask&) = delete;

  bool ready() const noexcept override { return finished_; }
  bool cancelled() const noexcept;
  // Finished without an exception.
  bool successful() const noexcept { return finished_ && frame_ && !promise_->exception(); }
  std::exception_ptr exception() const noexcept;
  // False when it had already finished.
  bool cancel() noexcept;
  // Greenlet side: parks until it finishes; false when `timeout` passed first.
  bool join(Duration timeout);

  void start();
  // The finished frame, holding the result; CancelledError when the hub unwound the task.
  std::coroutine_handle<> result_frame() const;
  void add_ref() noexcept { ++refs_; }
  void release() noexcept {
    if (--refs_ == 0) delete this;
  }

 private:
  ~SpawnedTask();
  static void on_done(void* self) noexcept;
  void unwind_at_shutdown() noexcept override;
  void after_death() noexcept override {}

  Hub& hub_;
  std::coroutine_handle<> frame_;
  TaskPromiseBase* promise_;
  TaskChain chain_;
  WaitQueue joiners_{"Task.join", this};
  unsigned refs_ = 0;
  bool finished_ = false;
  bool self_ref_ = false;
  bool unwound_ = false;  // destroyed unfinished when the hub went away
};

[[noreturn]] void throw_task_join_timeout();

}  // namespace detail

template <class T = void>
class TaskHandle;

// Waits for a spawned task from another task: co_await handle.
template <class T>
class TaskHandleAwaiter {
 public:
  explicit TaskHandleAwaiter(detail::SpawnedTask& task) noexcept : task_(task), ready_(task) {}
  bool await_ready() const noexcept { return ready_.await_ready(); }
  template <detail::ChainedPromise P>
  bool await_suspend(std::coroutine_handle<P> h) {
    return ready_.await_suspend(h);
  }
  T await_resume() {
    ready_.await_resume();
    auto frame = std::coroutine_handle<detail::TaskPromise<T>>::from_address(task_.result_frame().address());
    if constexpr (std::is_void_v<T>) {
      frame.promise().peek();
    } else {
      return frame.promise().peek();
    }
  }

 private:
  detail::SpawnedTask& task_;
  detail::ReadyAwaiter ready_;
};

template <class T>
class TaskHandle {
 public:
  TaskHandle() noexcept = default;
  explicit TaskHandle(detail::SpawnedTask* t) noexcept : t_(t) {
    if (t_) t_->add_ref();
  }
  TaskHandle(const TaskHandle& o) noexcept : TaskHandle(o.t_) {}
  TaskHandle(TaskHandle&& o) noexcept : t_(std::exchange(o.t_, nullptr)) {}
  template <class U>
  requires(std::is_void_v<T> && !std::is_void_v<U>) TaskHandle(const TaskHandle<U>& o)
  noexcept : TaskHandle(o.record()) {}
  TaskHandle& operator=(TaskHandle o) noexcept {
    std::swap(t_, o.t_);
    return *this;
  }
  ~TaskHandle() {
    if (t_) t_->release();
  }

  explicit operator bool() const noexcept { return t_ != nullptr; }
  bool operator==(const TaskHandle& o) const noexcept { return t_ == o.t_; }
  bool done() const noexcept { return t_->ready(); }
  bool successful() const noexcept { return t_->successful(); }
  bool cancelled() const noexcept { return t_->cancelled(); }
  std::exception_ptr exception() const noexcept { return t_->exception(); }
  bool cancel() noexcept { return t_->cancel(); }
  // What fern::wait and the aio waits link to.
  Waitable& waitable() const noexcept { return *t_; }
  detail::SpawnedTask* record() const noexcept { return t_; }

  // Greenlet side: parks until it finishes; false when `timeout` passed first.
  bool join(Duration timeout = kForever) const { return t_->join(timeout); }
  // Greenlet side: joins, then returns a copy of the result or rethrows the task's exception.
  // TimeoutError when `timeout` passes first.
  T get(Duration timeout = kForever) const {
    if (!t_->join(timeout)) detail::throw_task_join_timeout();
    return promise().peek();
  }
  // Like get() for a finished task, moving the result out (for move-only results).
  T take() const { return promise().take(); }

  // Task side: suspends until it finishes, then yields a copy of the result or rethrows.
  TaskHandleAwaiter<T> operator co_await() const noexcept { return TaskHandleAwaiter<T>(*t_); }

 private:
  detail::TaskPromise<T>& promise() const {
    return std::coroutine_handle<detail::TaskPromise<T>>::from_address(t_->result_frame().address())
        .promise();
  }
  detail::SpawnedTask* t_ = nullptr;
};

// Starts `task` on the current thread's hub (on its next turn).
template <class T>
TaskHandle<T> spawn(Task<T> task) {
  auto frame = task.release();
  auto* record = new detail::SpawnedTask(Hub::current(), frame, frame.promise());
  TaskHandle<T> handle(record);
  record->start();
  return handle;
}

// asyncio.run: runs `task` to its end from the calling greenlet and returns its result (or
// rethrows). The hub runs everything else meanwhile. Not callable inside a task (it would block
// the hub): Errc::not_in_greenlet.
template <class T>
T run(Task<T> task) {
  TaskHandle<T> handle = spawn(std::move(task));
  handle.join();
  return handle.take();
}

}  // namespace fern::aio
