// AsyncGenerator<T>: Python's async generator for tasks, a coroutine that both co_awaits (sleeps,
// sockets, queues, other tasks) and co_yields values. The consumer pulls with co_await next():
//
//   aio::AsyncGenerator<std::string> lines(aio::Stream& s) {
//     for (;;) {
//       std::string line = co_await s.read_line();
//       if (line.empty()) co_return;
//       co_yield line;
//     }
//   }
//   ...
//   auto gen = lines(stream);
//   while (std::optional<std::string> line = co_await gen.next()) use(*line);
//
// The generator runs inside the consumer's chain of awaits, by symmetric transfer both ways (no hub
// turn per value): while it waits, the consumer waits with it, and a cancellation or timeout of the
// consumer is raised at the generator's current await, unwinds its frame and reaches the consumer
// from next(). An exception the generator throws comes out of next(); after it, or after the last
// value, next() returns nullopt. Destroying the generator between values destroys its frame
// (its locals unwind); it is consumed by one task at a time.
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <utility>

#include "fern/aio/task.hpp"

namespace fern::aio {

template <class T>
class [[nodiscard]] AsyncGenerator {
 public:
  class promise_type {
    // Suspends the generator and resumes whoever asked for the value.
    struct ToConsumer {
      bool await_ready() const noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) const noexcept {
        return h.promise().consumer_;
      }
      void await_resume() const noexcept {}
    };

   public:
    static void* operator new(std::size_t size) { return detail::allocate_frame(size); }
    static void operator delete(void* frame, std::size_t size) noexcept { detail::free_frame(frame, size); }

    AsyncGenerator get_return_object() noexcept {
      return AsyncGenerator(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    std::suspend_always initial_suspend() const noexcept { return {}; }
    ToConsumer final_suspend() const noexcept { return {}; }
    ToConsumer yield_value(T value) {
      value_.emplace(std::move(value));
      return {};
    }
    void return_void() const noexcept {}
    void unhandled_exception() noexcept { error_ = std::current_exception(); }

    // What fern's awaitables need: the chain of the task pulling values now.
    detail::TaskChain* chain() const noexcept { return chain_; }

   private:
    friend class AsyncGenerator;

    detail::TaskChain* chain_ = nullptr;
    std::coroutine_handle<> consumer_;
    std::optional<T> value_;
    std::exception_ptr error_;
  };

  AsyncGenerator(AsyncGenerator&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  AsyncGenerator& operator=(AsyncGenerator o) noexcept {
    std::swap(h_, o.h_);
    return *this;
  }
  AsyncGenerator(const AsyncGenerator&) = delete;
  ~AsyncGenerator() {
    if (h_) h_.destroy();
  }

  class NextAwaiter {
   public:
    explicit NextAwaiter(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
    bool await_ready() const noexcept { return !h_ || h_.done(); }
    template <detail::ChainedPromise P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> consumer) noexcept {
      promise_type& p = h_.promise();
      p.chain_ = consumer.promise().chain();
      p.consumer_ = consumer;
      p.value_.reset();
      return h_;
    }
    std::optional<T> await_resume() {
      if (!h_) return std::nullopt;
      promise_type& p = h_.promise();
      if (std::exception_ptr error = std::exchange(p.error_, nullptr)) std::rethrow_exception(error);
      if (h_.done()) return std::nullopt;
      return std::exchange(p.value_, std::nullopt);
    }

   private:
    std::coroutine_handle<promise_type> h_;
  };

  // co_await next(): the next value, or nullopt once the generator has returned (or failed, after
  // its exception came out of one next()).
  NextAwaiter next() noexcept { return NextAwaiter(h_); }

 private:
  explicit AsyncGenerator(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
  std::coroutine_handle<promise_type> h_;
};

}  // namespace fern::aio
