#include "fern/greenlet/greenlet.hpp"

#include <cxxabi.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "fern/context/dense_stack_pool.hpp"
#include "fern/context/machine_context.hpp"
#include "sanitizer.hpp"
#include "thread_greenlets.hpp"

namespace fern {
namespace detail {

thread_local Greenlet* t_current = nullptr;

namespace {

// libstdc++'s __cxa_eh_globals: the stack of caught exceptions and the uncaught count. They are
// per thread, but a greenlet that switches inside a catch block must find its own on return.
struct EhGlobals {
  void* caught;
  unsigned uncaught;
};

// The address is fixed for the thread's lifetime, so it is looked up once: __cxa_get_globals is a
// call into libstdc++ that does a dynamic TLS lookup, and a switch needs it twice (8 ns of a 29 ns
// switch, measured by bench/switch).
thread_local EhGlobals* t_eh_globals = nullptr;

EhGlobals& eh_globals() noexcept {
  if (!t_eh_globals) t_eh_globals = reinterpret_cast<EhGlobals*>(abi::__cxa_get_globals());
  return *t_eh_globals;
}

struct ThreadGreenletsHolder {
  std::unique_ptr<ThreadGreenlets> state;
  ~ThreadGreenletsHolder() { t_current = nullptr; }
};
thread_local ThreadGreenletsHolder t_holder;

StackMode initial_stack_mode() noexcept {
  const char* env = std::getenv("FERN_STACK_MODE");
  return env && std::strcmp(env, "dense") == 0 ? StackMode::dense : StackMode::guarded;
}
std::atomic<StackMode> g_default_mode{initial_stack_mode()};

}  // namespace

ThreadGreenlets::ThreadGreenlets() : main(Greenlet::MainTag{}, this) {}
ThreadGreenlets::~ThreadGreenlets() = default;

Greenlet* init_thread_greenlets() {
  // Thread-locals die in reverse order of construction: the stack pool must outlive every
  // greenlet (and the hub) of this thread.
  context::StackPool::local();
  context::DenseStackPool::local();
  t_holder.state = std::make_unique<ThreadGreenlets>();
  t_current = &t_holder.state->main;
  install_overflow_guard();
  return t_current;
}

}  // namespace detail

using detail::t_current;

StackMode default_stack_mode() noexcept { return detail::g_default_mode.load(std::memory_order_relaxed); }
void set_default_stack_mode(StackMode mode) noexcept {
  detail::g_default_mode.store(mode, std::memory_order_relaxed);
}

Greenlet::Greenlet(Greenlet* parent, GreenletOptions options) : options_(options) {
  Greenlet* cur = current();
  owner_ = cur->owner_;
  parent_ = parent ? parent : cur;
  if (parent_->owner_ != owner_)
    throw std::invalid_argument("fern: a greenlet's parent must live on its thread");
}

Greenlet::Greenlet(MainTag, detail::ThreadGreenlets* owner)
    : state_(State::active), is_main_(true), owner_(owner), name_("main") {}

Greenlet::~Greenlet() {
  if (is_main_) {
    destroy_locals();
    return;
  }
  if (active() && t_current && owner_ == t_current->owner_ && this != t_current) {
    parent_ = t_current;
    try {
      throw_in(GreenletExit{});
    } catch (...) {
      // What the greenlet raised while being unwound has nowhere else to go.
    }
    if (!dead()) {
      std::fprintf(stderr, "fern: greenlet '%s' was destroyed while suspended and would not exit\n",
                   name_.c_str());
      std::abort();
    }
  }
  destroy_locals();
  if (state_ != State::dead) release_stack();  // only when never unwound (another thread's)
}

void Greenlet::release_stack() noexcept {
  if (!stack_.base || is_main_) return;
  if (stack_.dense) {
    context::DenseStackPool::local().release(stack_);
  } else {
    context::StackPool::local().release(stack_);
  }
  stack_ = context::Stack{};
}

void Greenlet::die_of_overflow() const noexcept {
  std::fprintf(stderr,
               "fern: stack overflow in greenlet '%s': its dense stack's canary was overwritten; give it "
               "StackMode::guarded or less stack\n",
               name_.empty() ? "(unnamed)" : name_.c_str());
  std::abort();
}

Greenlet* Greenlet::current() noexcept {
  Greenlet* g = t_current;
  return g ? g : detail::init_thread_greenlets();
}

std::any Greenlet::run(std::any first_value) {
  if (!body_) return {};
  return body_(std::move(first_value));
}

void Greenlet::set_parent(Greenlet* parent) {
  if (!parent) throw std::invalid_argument("fern: a greenlet's parent cannot be null");
  if (parent->owner_ != owner_)
    throw std::invalid_argument("fern: a greenlet's parent must live on its thread");
  for (Greenlet* p = parent; p; p = p->parent_) {
    if (p == this) throw std::invalid_argument("fern: set_parent would make a cycle");
  }
  parent_ = parent;
}

Greenlet* Greenlet::live_ancestor() noexcept {
  Greenlet* p = parent_;
  while (p->dead()) p = p->parent_;
  return p;
}

std::any Greenlet::switch_to(std::any value) {
  Greenlet* self = current();
  if (owner_ != self->owner_) throw std::logic_error("fern: cannot switch to a greenlet of another thread");
  Greenlet* target = this;
  while (target->dead()) target = target->parent_;
  if (target == self) return value;
  target->transfer_ = std::move(value);
  return self->resume(target);
}

namespace {
bool is_greenlet_exit(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const GreenletExit&) {
    return true;
  } catch (...) {
    return false;
  }
}
}  // namespace

std::any Greenlet::throw_in(std::exception_ptr error) {
  Greenlet* self = current();
  if (owner_ != self->owner_) throw std::logic_error("fern: cannot throw into a greenlet of another thread");
  Greenlet* target = this;
  if (!started()) {
    // Killed before it ran: it dies where it stands and the error goes to its parent.
    state_ = State::dead;
    target = live_ancestor();
    if (is_greenlet_exit(error)) {
      error = nullptr;
      target->transfer_.reset();
    }
  }
  while (target->dead()) target = target->parent_;
  if (target == self) {
    if (error) std::rethrow_exception(error);
    return {};
  }
  target->pending_ = std::move(error);
  return self->resume(target);
}

std::any Greenlet::resume(Greenlet* target) {
  if (!target->started()) target->prepare_start();
  jump_to(target);
  if (pending_) std::rethrow_exception(std::exchange(pending_, nullptr));
  return std::exchange(transfer_, std::any{});
}

void Greenlet::prepare_start() {
  stack_ = options_.mode == StackMode::dense ? context::DenseStackPool::local().acquire()
                                             : context::StackPool::local().acquire(options_.stack_size);
  state_ = State::active;
  sp_ = context::make_context(stack_.top(), &Greenlet::entry, this);
}

void Greenlet::jump_to(Greenlet* target) noexcept {
  if (stack_.dense && !context::DenseStackPool::canary_intact(stack_)) die_of_overflow();
  detail::EhGlobals& eh = detail::eh_globals();
  eh_ = {eh.caught, eh.uncaught};
  t_current = target;
  detail::sanitizer_start_switch(dead() ? nullptr : &asan_fake_stack_, target->stack_.base,
                                 target->stack_.size);
  void* from = context::jump(&sp_, target->sp_, this);
  after_resume(static_cast<Greenlet*>(from));
}

void Greenlet::after_resume(Greenlet* from) noexcept {
  const void* from_bottom = nullptr;
  std::size_t from_size = 0;
  detail::sanitizer_finish_switch(asan_fake_stack_, &from_bottom, &from_size);
  if (from->is_main_ && !from->stack_.base) {
    from->stack_.base = static_cast<char*>(const_cast<void*>(from_bottom));
    from->stack_.size = from_size;
  }
  detail::EhGlobals& eh = detail::eh_globals();
  eh.caught = eh_.caught;
  eh.uncaught = eh_.uncaught;
  if (from->dead()) from->release_stack();
}

void Greenlet::entry(void* arg, void* from) noexcept {
  auto* self = static_cast<Greenlet*>(arg);
  self->after_resume(static_cast<Greenlet*>(from));
  std::any result;
  std::exception_ptr error = std::exchange(self->pending_, nullptr);
  if (!error) {
    try {
      result = self->run(std::exchange(self->transfer_, std::any{}));
    } catch (const GreenletExit&) {
      result.reset();
    } catch (...) {
      error = std::current_exception();
    }
  }
  self->destroy_locals();
  self->state_ = State::dead;
  Greenlet* parent = self->live_ancestor();
  if (error) {
    parent->pending_ = std::move(error);
  } else {
    parent->transfer_ = std::move(result);
  }
  // Nothing on this stack may own anything now: it is never unwound.
  self->jump_to(parent);
  std::abort();
}

void* Greenlet::local_slot(const void* key) const noexcept {
  for (const LocalSlot& s : locals_) {
    if (s.key == key) return s.value;
  }
  return nullptr;
}

void Greenlet::add_local(LocalSlot slot) { locals_.push_back(slot); }

void Greenlet::destroy_locals() noexcept {
  while (!locals_.empty()) {
    LocalSlot s = locals_.back();
    locals_.pop_back();
    s.destroy(s.value);
  }
}

}  // namespace fern
