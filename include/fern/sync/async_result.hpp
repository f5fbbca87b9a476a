// AsyncResult<T>: a value or an exception that will arrive later, gevent's AsyncResult (a
// one-shot future). get() parks the calling greenlet until set() or set_exception(), then returns
// the value or rethrows the exception; every waiter sees the same outcome. It is a Waitable, so
// fern::wait() can wait for results and greenlets together. AsyncResult<void> carries no value.
//
// Setting it twice is a std::logic_error (gevent silently overwrites; a second outcome nobody
// can observe reliably is a bug worth reporting).
//
// From another thread: on the hub's thread take a ThreadsafeSetter (threadsafe_setter()), move it
// to the other thread and call its set()/set_exception() there. The setter goes through
// Hub::run_callback_threadsafe, so the result is set in the hub's thread, and while it is
// outstanding the hub counts it as pending work (no LoopExit while the other thread computes).
// If the AsyncResult is destroyed first, the late value is dropped. The setter must be used or
// destroyed before the hub's thread exits.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include "fern/base/clock.hpp"
#include "fern/hub/wait_queue.hpp"
#include "fern/hub/waitable.hpp"

namespace fern {

class Hub;
class AsyncResultBase;

// Sets an AsyncResult from any thread, once. Move-only; dropping it unused is fine.
class ThreadsafeSetterBase {
 public:
  ThreadsafeSetterBase(ThreadsafeSetterBase&& o) noexcept
      : hub_(std::exchange(o.hub_, nullptr)), target_(std::move(o.target_)) {}
  ThreadsafeSetterBase& operator=(ThreadsafeSetterBase&& o) noexcept;
  ~ThreadsafeSetterBase();

  // Any thread. Throws std::logic_error when this setter was already used.
  void set_exception(std::exception_ptr error);

 protected:
  // Hub thread: binds to `result` and registers pending work with the hub.
  explicit ThreadsafeSetterBase(AsyncResultBase& result);
  // Runs `apply` on the result in the hub's thread if it still exists; consumes the setter.
  void post(std::function<void(AsyncResultBase&)> apply);

 private:
  Hub* hub_;
  std::weak_ptr<AsyncResultBase*> target_;
};

class AsyncResultBase : public Waitable {
 public:
  AsyncResultBase(const AsyncResultBase&) = delete;
  AsyncResultBase& operator=(const AsyncResultBase&) = delete;

  bool ready() const noexcept override { return ready_; }
  // Ready with a value, not an exception.
  bool successful() const noexcept { return ready_ && !error_; }
  // The stored exception, or null.
  std::exception_ptr exception() const noexcept { return error_; }

  // Parks until ready; false when `timeout` passed first. Never throws the stored exception.
  bool wait(Duration timeout = kForever);
  // Stores an exception for every get(). std::invalid_argument for a null one.
  void set_exception(std::exception_ptr error);

 protected:
  AsyncResultBase() = default;
  ~AsyncResultBase() = default;
  // Throws std::logic_error when already set.
  void check_unset() const;
  // Marks it ready: wakes the waiters and fires the links.
  void mark_ready();
  // wait(timeout) (no wait at all with `nowait`), or TimeoutError; then rethrows the stored
  // exception if any.
  void wait_for_value(Duration timeout, bool nowait = false);

 private:
  friend class ThreadsafeSetterBase;

  WaitQueue waiters_{"AsyncResult", this};
  std::exception_ptr error_;
  // Created by the first threadsafe setter, in the hub's thread; a setter's callback checks it
  // there, so a result destroyed before its late value arrives is never touched.
  std::shared_ptr<AsyncResultBase*> token_;
  bool ready_ = false;
};

template <class T = void>
class AsyncResult;

template <class T>
class ThreadsafeSetter : public ThreadsafeSetterBase {
 public:
  // Any thread. Throws std::logic_error when this setter was already used.
  void set(T value) {
    // std::function needs a copyable callable; the value travels in a shared box.
    auto box = std::make_shared<T>(std::move(value));
    post([box](AsyncResultBase& r) { static_cast<AsyncResult<T>&>(r).set(std::move(*box)); });
  }

 private:
  friend class AsyncResult<T>;
  explicit ThreadsafeSetter(AsyncResultBase& result) : ThreadsafeSetterBase(result) {}
};

template <>
class ThreadsafeSetter<void> : public ThreadsafeSetterBase {
 public:
  void set();

 private:
  friend class AsyncResult<void>;
  explicit ThreadsafeSetter(AsyncResultBase& result) : ThreadsafeSetterBase(result) {}
};

template <class T>
class AsyncResult final : public AsyncResultBase {
 public:
  AsyncResult() = default;

  // Stores the value and wakes every waiter. Throws std::logic_error when already set.
  void set(T value) {
    check_unset();
    value_.emplace(std::move(value));
    mark_ready();
  }
  // Parks until ready, then returns the value or rethrows the exception. Throws TimeoutError
  // when `timeout` passes first. The reference lives as long as this object.
  const T& get(Duration timeout = kForever) {
    wait_for_value(timeout);
    return *value_;
  }
  // get() without parking: TimeoutError when not ready.
  const T& get_nowait() {
    wait_for_value(Duration::zero(), true);
    return *value_;
  }

  // Hub thread only; see the top of this file.
  ThreadsafeSetter<T> threadsafe_setter() { return ThreadsafeSetter<T>(*this); }

 private:
  std::optional<T> value_;
};

template <>
class AsyncResult<void> final : public AsyncResultBase {
 public:
  AsyncResult() = default;

  void set() {
    check_unset();
    mark_ready();
  }
  void get(Duration timeout = kForever) { wait_for_value(timeout); }
  void get_nowait() { wait_for_value(Duration::zero(), true); }

  ThreadsafeSetter<void> threadsafe_setter() { return ThreadsafeSetter<void>(*this); }
};

}  // namespace fern
