#include "fern/greenlet/greenlet.hpp"

#include <cxxabi.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "fern/context/dense_stack_pool.hpp"
#include "fern/context/machine_context.hpp"
#include "thread_greenlets.hpp"

namespace fern {
namespace detail {

constinit thread_local Greenlet* t_current = nullptr;
constinit thread_local EhGlobals* t_eh_globals = nullptr;

namespace {

// The thread's stack pools, looked up once: StackPool::local() is a guarded thread_local, and a
// spawn asks for a pool twice (acquire, release).
constinit thread_local context::StackPool* t_stack_pool = nullptr;
constinit thread_local context::DenseStackPool* t_dense_pool = nullptr;

struct ThreadGreenletsHolder {
  ThreadGreenlets* state = nullptr;
  ~ThreadGreenletsHolder() {
    __atomic_store_n(&t_current, nullptr, __ATOMIC_RELAXED);
    if (state) state->thread_exited();
  }
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

void ThreadGreenlets::thread_exited() noexcept {
  main.destroy_locals();  // the main greenlet's locals die with its thread
  thread_alive.store(false, std::memory_order_release);
  release(this);
}

void ThreadGreenlets::release(ThreadGreenlets* owner) noexcept {
  // acq_rel: the deleting side must see everything the other holders did with the object.
  if (owner->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete owner;
}

Greenlet* init_thread_greenlets() {
  // Thread-locals die in reverse order of construction: the stack pool must outlive every
  // greenlet (and the hub) of this thread.
  t_stack_pool = &context::StackPool::local();
  t_dense_pool = &context::DenseStackPool::local();
  t_holder.state = new ThreadGreenlets();
  t_eh_globals = reinterpret_cast<EhGlobals*>(abi::__cxa_get_globals());
  __atomic_store_n(&t_current, &t_holder.state->main, __ATOMIC_RELAXED);
  install_overflow_guard();
  return t_current;
}

}  // namespace detail

using detail::t_current;

StackMode default_stack_mode() noexcept { return detail::g_default_mode.load(std::memory_order_relaxed); }
void set_default_stack_mode(StackMode mode) noexcept {
  detail::g_default_mode.store(mode, std::memory_order_relaxed);
}

Greenlet::Greenlet(Greenlet* parent, GreenletOptions options, const OwnSlot* own_slot) : options_(options) {
  Greenlet* cur = current();
  parent_ = parent ? parent : cur;
  if (parent_->owner_ != cur->owner_)
    throw std::invalid_argument("fern: a greenlet's parent must live on its thread");
  owner_ = cur->owner_;
  owner_->retain();
  if (own_slot) {
    stack_ = own_slot->stack;
    owns_slot_ = true;
    options_.mode = StackMode::dense;
  }
}

Greenlet::OwnSlot Greenlet::acquire_own_slot(std::size_t object_size) {
  if (object_size > kMaxOwnSlotObject)
    throw std::length_error("fern: a greenlet object this large cannot live in its own dense stack");
  constexpr std::size_t kLine = 64;
  const std::size_t reserved = (object_size + kLine - 1) / kLine * kLine;
  current();  // the thread's state, pools included
  context::Stack stack = detail::t_dense_pool->acquire();
  stack.size -= reserved;  // the top of the slot, page-aligned, holds the object
  return OwnSlot{stack, stack.top()};
}

void Greenlet::release_own_slot(const OwnSlot& slot) noexcept {
  context::DenseStackPool::release_local(slot.stack);
}

void Greenlet::Deleter::operator()(Greenlet* g) const noexcept {
  if (!g) return;
  if (!g->owns_slot_) {
    delete g;
    return;
  }
  const OwnSlot slot{g->stack_, g};
  g->~Greenlet();
  release_own_slot(slot);
}

Greenlet::Greenlet(MainTag, detail::ThreadGreenlets* owner)
    : state_(State::active), is_main_(true), owner_(owner), name_("main") {}

namespace {
void report_overridden_run(const std::string& name) noexcept {
  std::fprintf(stderr,
               "fern: greenlet '%s' overrides run() and was destroyed while suspended without unwind() in "
               "its destructor; its run() would be unwound after its members were destroyed\n",
               name.empty() ? "(unnamed)" : name.c_str());
  std::abort();
}

// A suspended greenlet's stack holds live objects that only its own thread may unwind. While that
// thread lives, destroying the greenlet elsewhere races with it: a program error, stopped here.
// Once the thread has exited nothing can unwind them any more; the objects are lost, and said so.
void report_foreign_destruction(const std::string& name, bool owner_alive) noexcept {
  const char* shown = name.empty() ? "(unnamed)" : name.c_str();
  if (owner_alive) {
    std::fprintf(stderr,
                 "fern: greenlet '%s' was destroyed by another thread while suspended; a suspended "
                 "greenlet must be finished or destroyed on the thread that runs it\n",
                 shown);
    std::abort();
  }
  std::fprintf(stderr,
               "fern: greenlet '%s' was destroyed while suspended after its thread exited: the objects on "
               "its stack were never destroyed\n",
               shown);
}

// Called in a catch block: what a greenlet raised instead of exiting while it was being unwound.
void report_unwind_error(const std::string& name) noexcept {
  const char* shown = name.empty() ? "(unnamed)" : name.c_str();
  try {
    throw;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fern: greenlet '%s' raised while being unwound: %s\n", shown, e.what());
  } catch (...) {
    std::fprintf(stderr, "fern: greenlet '%s' raised a non-standard exception while being unwound\n", shown);
  }
}
}  // namespace

Greenlet::~Greenlet() {
  if (is_main_) {
    destroy_locals();
    return;
  }
  if (active() && (!t_current || owner_ != t_current->owner_)) {
    report_foreign_destruction(name_, owner_->thread_alive.load(std::memory_order_acquire));
  } else if (active() && this != t_current) {
    if (!body_) report_overridden_run(name_);  // a subclass's run(): see unwind()
    unwind();
  }
  destroy_locals();
  if (state_ != State::dead) release_stack();  // only when never unwound (see above)
  detail::ThreadGreenlets::release(owner_);
}

void Greenlet::unwind() noexcept {
  if (!active() || this == t_current) return;
  parent_ = t_current;
  try {
    throw_in(GreenletExit{});
  } catch (...) {
    report_unwind_error(name_);  // it has nowhere else to go, but must not vanish
  }
  if (!dead()) {
    std::fprintf(stderr, "fern: greenlet '%s' was destroyed while suspended and would not exit\n",
                 name_.c_str());
    std::abort();
  }
}

void Greenlet::release_stack() noexcept {
  if (!stack_.base || is_main_ || owns_slot_) return;  // an own slot goes with the object
  if (stack_.dense) {
    context::DenseStackPool::release_local(stack_);
  } else {
    // A greenlet destroyed by a thread that never switched has no cached pool.
    (detail::t_stack_pool ? *detail::t_stack_pool : context::StackPool::local()).release(stack_);
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

Greenlet* Greenlet::resolve_target(Greenlet*& self) {
  self = current();
  if (owner_ != self->owner_) throw std::logic_error("fern: cannot switch to a greenlet of another thread");
  Greenlet* target = this;
  while (target->dead()) target = target->parent_;
  if (target != self && !target->started()) target->prepare_start();
  return target;
}

void Greenlet::raise_pending() { std::rethrow_exception(std::exchange(pending_, nullptr)); }

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
  // greenlet's rule: an exit thrown into a greenlet that is already dead is eaten quietly.
  if (dead() && is_greenlet_exit(error)) return {};
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
  switch_out(target);
  return take_resumed();
}

void Greenlet::prepare_start() {
  if (!owns_slot_) {
    stack_ = options_.mode == StackMode::dense ? detail::t_dense_pool->acquire()
                                               : detail::t_stack_pool->acquire(options_.stack_size);
  }
  state_ = State::active;
  sp_ = context::make_context(stack_.top(), &Greenlet::entry, this);
}

// The last jump of a finished greenlet: nothing is saved, since nothing will resume it.
void Greenlet::finish_to(Greenlet* target) noexcept {
  if (stack_.dense && !context::DenseStackPool::canary_intact(stack_)) die_of_overflow();
  __atomic_store_n(&t_current, target, __ATOMIC_RELAXED);
  detail::sanitizer_start_switch(nullptr, target->stack_.base, target->stack_.size);  // frees fake frames
  context::switch_context(&sp_, target->sp_, this);
  std::abort();
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
  // A parent that never ran starts now, with this greenlet's result as its argument (or dies of
  // its error without running), as in greenlet.
  if (!parent->started()) parent->prepare_start();
  if (error) {
    parent->pending_ = std::move(error);
  } else {
    parent->transfer_ = std::move(result);
  }
  // Nothing on this stack may own anything now: it is never unwound.
  self->finish_to(parent);
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
