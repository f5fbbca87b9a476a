// Greenlet: a function running on its own stack that switches explicitly, with the semantics of
// Python's greenlet. switch_to(value) suspends the caller and resumes the target, handing it
// `value`; the caller's switch_to returns whatever is handed back when something switches to it
// again. A greenlet that finishes hands its result to its parent (or raises its exception there).
// Each thread has an implicit main greenlet; greenlets never move between threads.
//
// Switching is a few nanoseconds and never a system call (context/machine_context.hpp): the
// common case of switch_to (a live target on this thread) is inline, so the jump is made from the
// caller's own code. Stacks come from a per-thread pool with guard pages (StackMode::guarded), or,
// for very many mostly idle greenlets, are carved side by side from large regions
// (StackMode::dense): no mapping per greenlet, overflow caught by a canary instead of a fault. A
// dense greenlet made by make_dense (or spawned with a dense mode) keeps its own object at the top
// of its stack, so parked it costs one page.
#pragma once

#include <any>
#include <concepts>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "fern/context/dense_stack_pool.hpp"
#include "fern/context/machine_context.hpp"
#include "fern/context/stack.hpp"

#if defined(FERN_ASAN) || defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define FERN_GREENLET_ASAN 1
#endif

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

class Greenlet;

namespace detail {
struct ThreadGreenlets;

// libstdc++'s __cxa_eh_globals: the stack of caught exceptions and the uncaught count. They are
// per thread, but a greenlet that switches inside a catch block must find its own on return.
struct EhGlobals {
  void* caught;
  unsigned uncaught;
};

// The running greenlet of this thread (null until the thread first touches greenlets), and the
// thread's EhGlobals, looked up once when t_current is first set: __cxa_get_globals is a call
// into libstdc++ with a dynamic TLS lookup. constinit: read inline without a TLS wrapper call.
extern constinit thread_local Greenlet* t_current;
extern constinit thread_local EhGlobals* t_eh_globals;
// Creates the thread's main greenlet on first use; returns it.
Greenlet* init_thread_greenlets();
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

  // Deletes a greenlet made with new or with make_dense.
  struct Deleter {
    void operator()(Greenlet* g) const noexcept;
  };
  using Ptr = std::unique_ptr<Greenlet, Deleter>;
  // A dense greenlet (StackMode::dense) whose object lives at the top of its own stack, so the
  // object and the top frames share a page: parked, it costs one page of memory. The stack goes
  // back to the pool when the object is destroyed, not when the greenlet dies.
  template <class F>
  requires(!std::same_as<std::remove_cvref_t<F>, Greenlet>) static Ptr
      make_dense(F&& body, Greenlet* parent = nullptr);
  // A suspended greenlet is unwound first: GreenletExit is thrown into it, as greenlet does when
  // one is collected.
  virtual ~Greenlet();

  // The greenlet running on this thread (the main greenlet when no other is).
  static Greenlet* current() noexcept;

  // Suspends the current greenlet and resumes this one (or, if this one is dead, its nearest live
  // ancestor), handing it `value`. Returns the value handed back when this greenlet is resumed;
  // throws what was thrown into it (throw_in) or what a finished child raised.
  inline std::any switch_to(std::any value = {});
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
  // The stack range this greenlet runs on (empty before it starts and after it dies, except for a
  // greenlet living in its own stack: that range is its for the object's whole life).
  const context::Stack& stack() const noexcept { return stack_; }
  // The deepest stack use recorded by note_stack_use(), in bytes: a lower bound of the true peak
  // (frames that come and go between two notes are not seen), at the cost of one compare a note.
  std::size_t stack_peak() const noexcept { return stack_peak_; }
  // Records how deep this greenlet's stack is now; call it on the greenlet's own stack (the hub
  // does when the greenlet parks).
  void note_stack_use() noexcept {
    auto used = static_cast<std::size_t>(stack_.top() - static_cast<char*>(__builtin_frame_address(0)));
    if (used > stack_peak_ && used <= stack_.size) stack_peak_ = used;
  }

  // Destroys this greenlet's GreenletLocal instances now, as its end would; the next use makes
  // fresh ones. For a greenlet reused for unrelated pieces of work (aio's carriers run one task's
  // call after another), so that each piece starts as it would in a fresh greenlet.
  void clear_locals() noexcept { destroy_locals(); }

  // One pointer of state for the scheduler above this layer (the hub keeps the greenlet's current
  // Waiter here); the greenlet layer never reads it.
  void*& scheduler_slot() noexcept { return scheduler_slot_; }

  static GreenletOptions defaults() noexcept { return {context::kDefaultStackSize, default_stack_mode()}; }

 protected:
  // A dense stack with room for an object at its top: `stack` is the part below `object`.
  struct OwnSlot {
    context::Stack stack;
    void* object;
  };
  // The largest object placed in its own stack; bigger ones would leave too little stack.
  static constexpr std::size_t kMaxOwnSlotObject = 2048;
  // Takes a dense stack and reserves its top `object_size` bytes (64-byte aligned, at most
  // kMaxOwnSlotObject) for the greenlet object itself. Construct the object at `object` with the
  // constructor taking the slot, and destroy it with Deleter; if construction throws, hand the slot
  // back with release_own_slot.
  static OwnSlot acquire_own_slot(std::size_t object_size);
  static void release_own_slot(const OwnSlot& slot) noexcept;

  // For subclasses that override run() instead of passing a body. With `own_slot`, the object
  // is being constructed at own_slot->object and runs on the stack below it (mode dense).
  explicit Greenlet(Greenlet* parent, GreenletOptions options) : Greenlet(parent, options, nullptr) {}
  Greenlet(Greenlet* parent, GreenletOptions options, const OwnSlot* own_slot);
  virtual std::any run(std::any first_value);
  // Unwinds a suspended greenlet now (GreenletExit thrown in, as the destructor does). A class
  // that overrides run() calls it first thing in its own destructor: by the time the base
  // destructor runs, the members that run() uses are already gone, so the base refuses (aborts)
  // to unwind an overridden run() itself.
  void unwind() noexcept;

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
  Greenlet* resolve_target(Greenlet*& self);
  std::any resume(Greenlet* target);
  inline void switch_out(Greenlet* target) noexcept;
  inline void after_resume(Greenlet* from) noexcept;
  inline std::any take_resumed();
  [[noreturn]] void raise_pending();
  [[noreturn]] void finish_to(Greenlet* target) noexcept;
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
  std::size_t stack_peak_ = 0;
  State state_ = State::fresh;
  bool is_main_ = false;
  bool owns_slot_ = false;  // this object lives at the top of stack_ (make_dense)
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

template <class F>
requires(!std::same_as<std::remove_cvref_t<F>, Greenlet>) Greenlet::Ptr Greenlet::make_dense(
    F&& body, Greenlet* parent) {
  OwnSlot slot = acquire_own_slot(sizeof(Greenlet));
  Greenlet* g;
  try {
    g = ::new (slot.object)
        Greenlet(parent, GreenletOptions{context::kDenseStackSize, StackMode::dense}, &slot);
  } catch (...) {
    release_own_slot(slot);
    throw;
  }
  Ptr owner(g);
  g->body_ = adapt(std::forward<F>(body));
  return owner;
}

namespace detail {

// AddressSanitizer must be told when execution moves to another stack, or it mistakes the switch
// for a stack overflow and reports false positives on unwinding.
inline void sanitizer_start_switch(void** fake_stack, const void* bottom, std::size_t size) noexcept {
#ifdef FERN_GREENLET_ASAN
  __sanitizer_start_switch_fiber(fake_stack, bottom, size);
#else
  (void)fake_stack, (void)bottom, (void)size;
#endif
}

}  // namespace detail

// The fast path: a live target on this thread. Everything else (the thread's first switch, a dead
// or fresh target, another thread's) is resolved out of line, then joins the same jump.
[[gnu::always_inline]] inline std::any Greenlet::switch_to(std::any value) {
  Greenlet* self = detail::t_current;
  Greenlet* target = this;
  if (state_ != State::active || !self || owner_ != self->owner_) [[unlikely]]
    target = resolve_target(self);
  if (target == self) [[unlikely]]
    return value;
  target->transfer_ = std::move(value);
  self->switch_out(target);
  return self->take_resumed();
}

// Saves what is per greenlet, jumps, and restores it once something switches back here.
[[gnu::always_inline]] inline void Greenlet::switch_out(Greenlet* target) noexcept {
  if (stack_.dense && !context::DenseStackPool::canary_intact(stack_)) [[unlikely]]
    die_of_overflow();
  detail::EhGlobals* eh = detail::t_eh_globals;
  eh_ = {eh->caught, eh->uncaught};
  // An atomic store (a plain one on x86-64 and aarch64): a monitor thread samples t_current.
  __atomic_store_n(&detail::t_current, target, __ATOMIC_RELAXED);
  detail::sanitizer_start_switch(&asan_fake_stack_, target->stack_.base, target->stack_.size);
  void* from = context::switch_context(&sp_, target->sp_, this);
  after_resume(static_cast<Greenlet*>(from));
}

[[gnu::always_inline]] inline void Greenlet::after_resume(Greenlet* from) noexcept {
#ifdef FERN_GREENLET_ASAN
  const void* from_bottom = nullptr;
  std::size_t from_size = 0;
  __sanitizer_finish_switch_fiber(asan_fake_stack_, &from_bottom, &from_size);
  if (from->is_main_ && !from->stack_.base) {  // the main stack's bounds are learned here
    from->stack_.base = static_cast<char*>(const_cast<void*>(from_bottom));
    from->stack_.size = from_size;
  }
#endif
  detail::EhGlobals* eh = detail::t_eh_globals;
  eh->caught = eh_.caught;
  eh->uncaught = eh_.uncaught;
  // A finished greenlet's last jump came here: its stack is free now.
  if (from->state_ == State::dead) [[unlikely]]
    from->release_stack();
}

[[gnu::always_inline]] inline std::any Greenlet::take_resumed() {
  if (pending_) [[unlikely]]
    raise_pending();
  std::any value;
  value.swap(transfer_);
  return value;
}

inline Greenlet* Greenlet::current() noexcept {
  Greenlet* g = detail::t_current;
  return g ? g : detail::init_thread_greenlets();
}

}  // namespace fern
