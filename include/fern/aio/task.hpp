// Task<T>: a lazy C++20 coroutine that produces a T, fern's asyncio coroutine. Nothing runs until
// the task is awaited (co_await in another task) or spawned (aio::spawn, gather, TaskGroup, run).
// An awaited task starts by symmetric transfer and transfers straight back to its awaiter when it
// finishes: a chain of awaits costs no hub turn and allocates nothing beyond each frame (frames
// come from a small per-thread cache).
//
// How it blocks: tasks run on the hub's own stack, resumed from its ready queue. A task never
// blocks the thread; it suspends at a co_await (aio::sleep, fd readiness, a sync primitive, another
// task, a greenlet) on a Waiter in its frame, and the hub resumes it when that Waiter is woken. The
// greenlet-blocking API (fern::sleep, Queue::get) throws Errc::not_in_greenlet inside a task; use
// the aio awaitables or aio::in_greenlet.
//
// Cancellation and timeout scopes reach a task through the chain of awaits it runs in
// (detail::TaskChain): the await it is suspended on fails with aio::CancelledError or
// fern::TimeoutError, which unwinds the frame like any exception. A task is awaited at most once.
#pragma once

#include <concepts>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <system_error>
#include <type_traits>
#include <utility>

#include "fern/base/error.hpp"

namespace fern {
class Waiter;
}  // namespace fern

namespace fern::aio {

// Raised at a task's current await when it is cancelled (code Errc::cancelled).
class CancelledError : public std::system_error {
 public:
  CancelledError() : std::system_error(make_error_code(Errc::cancelled), "fern: task cancelled") {}
};

template <class T = void>
class Task;

namespace detail {

// A spawned task and every task it awaits inline: they suspend and resume as one unit, so one
// record says where the unit is parked and what to raise there.
struct TaskChain {
  Waiter* parked = nullptr;    // the Waiter the chain is suspended on, if it is one of fern's
  std::exception_ptr pending;  // raised at the next suspension when nothing is parked

  // Raises `error` at the chain's current await, or at its next one.
  void interrupt(std::exception_ptr error) noexcept;
  std::exception_ptr take_pending() noexcept { return std::exchange(pending, nullptr); }
};

// Frames of tasks come from a per-thread cache of a few size classes (plain new/delete under
// AddressSanitizer, which must see every frame's life).
void* allocate_frame(std::size_t size);
void free_frame(void* frame, std::size_t size) noexcept;

class TaskPromiseBase {
 public:
  static void* operator new(std::size_t size) { return allocate_frame(size); }
  static void operator delete(void* frame, std::size_t size) noexcept { free_frame(frame, size); }

  struct InitialAwaiter {
    TaskPromiseBase* promise;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<>) const noexcept {}
    // A task cancelled before it ever ran skips its body (the exception goes to the promise).
    void await_resume() const {
      if (promise->chain_ && promise->chain_->pending)
        std::rethrow_exception(promise->chain_->take_pending());
    }
  };
  struct FinalAwaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) const noexcept {
      TaskPromiseBase& p = h.promise();
      if (p.continuation_) return p.continuation_;
      // A spawned task's owner learns it finished; it may destroy this frame, so touch nothing after.
      if (p.on_done_) p.on_done_(p.on_done_arg_);
      return std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };

  InitialAwaiter initial_suspend() noexcept { return {this}; }
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { error_ = std::current_exception(); }

  TaskChain* chain() const noexcept { return chain_; }
  std::exception_ptr exception() const noexcept { return error_; }

  // An awaited task: runs in its awaiter's chain and resumes it when done.
  void bind(TaskChain* chain, std::coroutine_handle<> continuation) noexcept {
    chain_ = chain;
    continuation_ = continuation;
  }
  // A spawned task: heads its own chain and reports its end to `on_done`.
  void bind_root(TaskChain* chain, void (*on_done)(void*), void* arg) noexcept {
    chain_ = chain;
    on_done_ = on_done;
    on_done_arg_ = arg;
  }

 protected:
  void rethrow_if_failed() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  TaskChain* chain_ = nullptr;
  std::coroutine_handle<> continuation_;
  void (*on_done_)(void*) = nullptr;
  void* on_done_arg_ = nullptr;
  std::exception_ptr error_;
};

template <class T>
class TaskPromise final : public TaskPromiseBase {
 public:
  Task<T> get_return_object() noexcept;
  template <class U = T>
  requires std::convertible_to<U&&, T>
  void return_value(U&& value) { value_.emplace(std::forward<U>(value)); }
  // The result, moved out; rethrows what the body threw.
  T take() {
    rethrow_if_failed();
    return std::move(*value_);
  }
  const T& peek() const {
    rethrow_if_failed();
    return *value_;
  }

 private:
  std::optional<T> value_;
};

template <>
class TaskPromise<void> final : public TaskPromiseBase {
 public:
  Task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take() const { rethrow_if_failed(); }
  void peek() const { rethrow_if_failed(); }
};

// Promises of coroutines that can await fern's awaitables: they know their chain.
template <class P>
concept ChainedPromise = requires(const P& p) {
  { p.chain() } -> std::same_as<TaskChain*>;
};

template <class T>
class TaskAwaiter {
 public:
  explicit TaskAwaiter(std::coroutine_handle<TaskPromise<T>> child) noexcept : child_(child) {}
  bool await_ready() const noexcept { return child_.done(); }
  template <ChainedPromise P>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<P> parent) noexcept {
    child_.promise().bind(parent.promise().chain(), parent);
    return child_;
  }
  T await_resume() { return child_.promise().take(); }

 private:
  std::coroutine_handle<TaskPromise<T>> child_;
};

// co_await this_chain() inside a task: the chain it runs in (never suspends).
struct ThisChain {
  TaskChain* chain = nullptr;
  bool await_ready() const noexcept { return false; }
  template <ChainedPromise P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    chain = h.promise().chain();
    return false;
  }
  TaskChain* await_resume() const noexcept { return chain; }
};
inline ThisChain this_chain() noexcept { return {}; }

}  // namespace detail

template <class T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::TaskPromise<T>;
  using value_type = T;
  using Handle = std::coroutine_handle<promise_type>;

  Task() noexcept = default;
  explicit Task(Handle h) noexcept : h_(h) {}
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  Task& operator=(Task o) noexcept {
    std::swap(h_, o.h_);
    return *this;
  }
  ~Task() {
    if (h_) h_.destroy();
  }

  // Runs the task inside the awaiting one; yields its result or rethrows its exception.
  detail::TaskAwaiter<T> operator co_await() && noexcept { return detail::TaskAwaiter<T>(h_); }

  explicit operator bool() const noexcept { return static_cast<bool>(h_); }
  bool done() const noexcept { return h_ && h_.done(); }
  Handle handle() const noexcept { return h_; }
  // Gives up ownership of the frame (aio::spawn takes it over).
  Handle release() noexcept { return std::exchange(h_, nullptr); }

 private:
  Handle h_;
};

template <class T>
Task<T> detail::TaskPromise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<TaskPromise<T>>::from_promise(*this));
}

inline Task<void> detail::TaskPromise<void>::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<TaskPromise<void>>::from_promise(*this));
}

}  // namespace fern::aio
