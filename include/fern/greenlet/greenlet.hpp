// Greenlet: a function running on its own stack that switches explicitly, with the semantics of
// Python's greenlet. switch_to(value) suspends the caller and resumes the target, handing it
// `value`; the caller's switch_to returns whatever is handed back when something switches to it
// again. A greenlet that finishes hands its result to its parent (or raises its exception there).
// Each thread has an implicit main greenlet; greenlets never move between threads.
//
// Switching is a few nanoseconds and never a system call (context/machine_context.hpp). Stacks
// come from a per-thread pool with guard pages (StackMode::guarded), or, for very many mostly idle
// greenlets, are carved side by side from large regions (StackMode::dense): no mapping per
// greenlet, about one page each while parked, overflow caught by a canary instead of a fault.
#pragma once

#include <any>
#include <concepts>
#include <cstddef>
#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "fern/context/stack.hpp"

namespace fern {

// Raised inside a greenlet to end it quietly: it unwinds the greenlet's stack and the parent
// receives an empty value, not an exception.
class GreenletExit : public std::exception {
 public:
  const char* what() const noexcept override { return "GreenletExit"; }
};

enum class StackMode {
  guarded,  // pooled stack with a guard page: overflow faults; 2 kernel mappings each (~32k max)
  dense,    // 32 KiB carved from a shared region: no mapping each, canary-checked; for millions
};

struct GreenletOptions {
  std::size_t stack_size = context::kDefaultStackSize;  // guarded mode only (dense: 32 KiB)
  StackMode mode = StackMode::guarded;
};

// The stack mode used when GreenletOptions do not say: FERN_STACK_MODE=dense in the environment,
// or set_default_stack_mode().
StackMode default_stack_mode() noexcept;
void set_default_stack_mode(StackMode mode) noexcept;

namespace detail {
struct ThreadGreenlets;
}  // namespace detail

class Greenlet {
 public:
  // Runs `body` when first switched to. `body` may take no argument or the std::any handed to the
  // first switch_to, and may return void or a value (handed to the parent when it finishes).
  template <class F>
  requires(!std::same_as<std::remove_cvref_t<F>, Greenlet>) explicit Greenlet(
      F&& body, Greenlet* parent = nullptr, GreenletOptions options = defaults())
      : Greenlet(parent, options) {
    body_ = adapt(std::forward<F>(body));
  }
  Greenlet(const Greenlet&) = delete;
  Greenlet& operator=(const Greenlet&) = delete;
  // A suspended greenlet is unwound first: GreenletExit is thrown into it, as greenlet does when
  // one is collected.
  virtual ~Greenlet();

  // The greenlet running on this thread (the main greenlet when no other is).
  static Greenlet* current() noexcept;

  // Suspends the current greenlet and resumes this one (or, if this one is dead, its nearest live
  // ancestor), handing it `value`. Returns the value handed back when this greenlet is resumed;
  // throws what was thrown into it (throw_in) or what a finished child raised.
  std::any switch_to(std::any value = {});
  // Resumes this greenlet by raising `error` at its suspension point. A greenlet that has not
  // started dies without running; the error then goes to its parent.
  std::any throw_in(std::exception_ptr error);
  template <class E>
  std::any throw_in(E error) {
    return throw_in(std::make_exception_ptr(std::move(error)));
  }

  // Marks a greenlet that has not started as dead without running it; false if it had started.
  bool discard() noexcept {
    if (state_ != State::fresh) return false;
    state_ = State::dead;
    return true;
  }

  bool started() const noexcept { return state_ != State::fresh; }
  bool dead() const noexcept { return state_ == State::dead; }
  // True while started and not dead (greenlet's bool()).
  bool active() const noexcept { return state_ == State::active; }
  bool is_main() const noexcept { return is_main_; }

  Greenlet* parent() const noexcept { return parent_; }
  // Throws std::invalid_argument when the new parent would make a cycle or lives on another thread.
  void set_parent(Greenlet* parent);

  const std::string& name() const noexcept { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  StackMode stack_mode() const noexcept { return options_.mode; }
  // The stack range this greenlet runs on (empty before it starts).
  const context::Stack& stack() const noexcept { return stack_; }

  // One pointer of state for the scheduler above this layer (the hub keeps the greenlet's current
  // Waiter here); the greenlet layer never reads it.
  void*& scheduler_slot() noexcept { return scheduler_slot_; }

  static GreenletOptions defaults() noexcept { return {context::kDefaultStackSize, default_stack_mode()}; }

 protected:
  // For subclasses that override run() instead of passing a body.
  explicit Greenlet(Greenlet* parent, GreenletOptions options);
  virtual std::any run(std::any first_value);

 private:
  friend struct detail::ThreadGreenlets;
  template <class T>
  friend class GreenletLocal;
  enum class State : unsigned char { fresh, active, dead };
  struct ExceptionState {  // libstdc++'s per-thread C++ exception state, kept per greenlet
    void* caught = nullptr;
    unsigned uncaught = 0;
  };
  struct LocalSlot {
    const void* key;
    void* value;
    void (*destroy)(void*);
  };
  struct MainTag {};
  Greenlet(MainTag, detail::ThreadGreenlets* owner);

  template <class F>
  static std::function<std::any(std::any)> adapt(F&& f);

  [[noreturn]] static void entry(void* self, void* from) noexcept;
  std::any resume(Greenlet* target);
  void jump_to(Greenlet* target) noexcept;
  void after_resume(Greenlet* from) noexcept;
  void prepare_start();
  void release_stack() noexcept;
  [[noreturn]] void die_of_overflow() const noexcept;
  Greenlet* live_ancestor() noexcept;
  void deliver_to_parent(std::any result, std::exception_ptr error) noexcept;
  void* local_slot(const void* key) const noexcept;
  void add_local(LocalSlot slot);
  void destroy_locals() noexcept;

  void* sp_ = nullptr;  // saved stack pointer while suspended
  context::Stack stack_;
  State state_ = State::fresh;
  bool is_main_ = false;
  Greenlet* parent_ = nullptr;
  detail::ThreadGreenlets* owner_ = nullptr;
  std::any transfer_;           // value handed to this greenlet by the switch that resumes it
  std::exception_ptr pending_;  // error raised in this greenlet when it resumes
  ExceptionState eh_;           // saved C++ exception state while suspended
  void* asan_fake_stack_ = nullptr;
  void* scheduler_slot_ = nullptr;
  GreenletOptions options_;
  std::function<std::any(std::any)> body_;
  std::vector<LocalSlot> locals_;
  std::string name_;
};

template <class F>
std::function<std::any(std::any)> Greenlet::adapt(F&& f) {
  using Fn = std::decay_t<F>;
  return [fn = Fn(std::forward<F>(f))](std::any value) mutable -> std::any {
    if constexpr (std::is_invocable_v<Fn&, std::any>) {
      if constexpr (std::is_void_v<std::invoke_result_t<Fn&, std::any>>) {
        fn(std::move(value));
        return {};
      } else {
        return std::any(fn(std::move(value)));
      }
    } else {
      static_assert(std::is_invocable_v<Fn&>, "a greenlet body takes no argument or a std::any");
      if constexpr (std::is_void_v<std::invoke_result_t<Fn&>>) {
        fn();
        return {};
      } else {
        return std::any(fn());
      }
    }
  };
}

}  // namespace fern
