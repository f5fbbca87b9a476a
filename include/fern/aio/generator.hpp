// Generator<T, Send>: a Python generator in C++20. The body runs only when the caller asks for the
// next value: next() resumes it up to its next `co_yield value` and returns that value (nullopt once
// the body has finished). With a Send type, `Send s = co_yield value;` receives what the caller
// passes to send(s), Python's generator.send (next() sends Send{}, Python's None). Delegation,
// Python's `yield from`: `co_yield aio::yield_from(sub)` (or `co_yield sub_generator()`) hands
// every value of `sub` to the caller, and every sent value to `sub`, until it finishes; then the
// delegating generator continues.
//
// How it blocks: it does not. A generator runs synchronously inside next()/send(), on the caller's
// stack; it cannot co_await (the body may only co_yield). Nested generators resume the innermost
// one directly and hand control back by symmetric transfer, so deep delegation costs no stack.
// An exception thrown by the body comes out of the next()/send() that resumed it.
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <iterator>
#include <optional>
#include <type_traits>
#include <utility>

namespace fern::aio {

template <class T, class Send = void>
class Generator;

// co_yield yield_from(std::move(sub)): delegate to `sub` (see the top of this file).
template <class T, class Send>
struct YieldFrom {
  Generator<T, Send> generator;
};
template <class T, class Send>
YieldFrom<T, Send> yield_from(Generator<T, Send>&& sub) {
  return {std::move(sub)};
}

template <class T, class Send>
class [[nodiscard]] Generator {
 public:
  class promise_type;
  using Handle = std::coroutine_handle<promise_type>;
  using SendArg = std::conditional_t<std::is_void_v<Send>, std::nullptr_t, Send>;

  class promise_type {
   public:
    Generator get_return_object() noexcept { return Generator(Handle::from_promise(*this)); }
    std::suspend_always initial_suspend() const noexcept { return {}; }
    auto final_suspend() const noexcept { return FinalAwaiter{}; }
    void return_void() const noexcept {}
    void unhandled_exception() noexcept { error_ = std::current_exception(); }
    // A generator only yields; awaiting inside one is a compile error.
    template <class U>
    void await_transform(U&&) = delete;

    template <class U = T>
    requires std::convertible_to<U&&, T>
    auto yield_value(U&& value) {
      root_->value_.emplace(std::forward<U>(value));
      return YieldAwaiter{root_};
    }
    auto yield_value(YieldFrom<T, Send> from) { return DelegateAwaiter{std::move(from.generator), this}; }
    auto yield_value(Generator&& sub) { return DelegateAwaiter{std::move(sub), this}; }

   private:
    friend class Generator;

    struct YieldAwaiter {
      promise_type* root;
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<>) const noexcept {}
      auto await_resume() const {
        if constexpr (!std::is_void_v<Send>) return std::move(*root->sent_);
      }
    };
    struct DelegateAwaiter {
      Generator sub;
      promise_type* parent;
      bool await_ready() const noexcept { return !sub.h_ || sub.h_.done(); }
      std::coroutine_handle<> await_suspend(Handle) noexcept {
        promise_type& p = sub.h_.promise();
        p.parent_ = parent;
        p.root_ = parent->root_;
        p.root_->leaf_ = &p;
        return sub.h_;
      }
      void await_resume() const {
        if (sub.h_ && sub.h_.promise().error_) std::rethrow_exception(sub.h_.promise().error_);
      }
    };
    struct FinalAwaiter {
      bool await_ready() const noexcept { return false; }
      std::coroutine_handle<> await_suspend(Handle h) const noexcept {
        promise_type& p = h.promise();
        if (!p.parent_) return std::noop_coroutine();
        // A delegate finished: its parent continues after its `yield from`.
        p.root_->leaf_ = p.parent_;
        return Handle::from_promise(*p.parent_);
      }
      void await_resume() const noexcept {}
    };

    promise_type* root_ = this;       // the outermost generator (the one the caller holds)
    promise_type* parent_ = nullptr;  // who delegated to this one
    promise_type* leaf_ = this;       // on the root: the innermost generator running
    std::optional<T> value_;          // on the root: the value just yielded
    std::optional<SendArg> sent_;     // on the root: the value being sent
    std::exception_ptr error_;
  };

  Generator() noexcept = default;
  Generator(Generator&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  Generator& operator=(Generator o) noexcept {
    std::swap(h_, o.h_);
    return *this;
  }
  ~Generator() {
    if (h_) h_.destroy();
  }

  // Runs the body to its next co_yield: that value, or nullopt once the body has finished.
  std::optional<T> next() {
    if constexpr (std::is_void_v<Send>) {
      return resume(nullptr);
    } else {
      return resume(Send{});
    }
  }
  // Resumes the body with `value` as the result of the co_yield it is suspended at (the first
  // send(), before any yield, is like next(): its value is dropped, as Python only allows None).
  template <class S = Send>
  requires(!std::is_void_v<S>) std::optional<T> send(S value) { return resume(std::move(value)); }

  bool done() const noexcept { return !h_ || h_.done(); }

  // Range-for over what next() yields.
  class iterator {
   public:
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(Generator* g) : g_(g) { ++*this; }
    const T& operator*() const { return *current_; }
    iterator& operator++() {
      current_ = g_->next();
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t) const noexcept { return !current_; }

   private:
    Generator* g_ = nullptr;
    std::optional<T> current_;
  };
  iterator begin() { return iterator(this); }
  std::default_sentinel_t end() const noexcept { return {}; }

 private:
  explicit Generator(Handle h) noexcept : h_(h) {}

  std::optional<T> resume(SendArg value) {
    if (done()) return std::nullopt;
    promise_type& root = h_.promise();
    root.value_.reset();
    root.sent_.emplace(std::move(value));
    Handle::from_promise(*root.leaf_).resume();
    if (root.error_) std::rethrow_exception(std::exchange(root.error_, nullptr));
    return std::exchange(root.value_, std::nullopt);
  }

  Handle h_;
};

}  // namespace fern::aio
