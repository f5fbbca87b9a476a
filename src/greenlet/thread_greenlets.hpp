// Per-thread greenlet state: the main greenlet, the current one, and the shared stack used by
// StackMode::shared greenlets. Internal to the greenlet layer.
#pragma once

#include <memory>

#include "fern/greenlet/greenlet.hpp"

namespace fern::detail {

// The stack that StackMode::shared greenlets run on. At most one of them (the occupant) has its
// frames on it at a time; the others are parked as copies of the bytes they used. Switching
// between two of them copies through a relay context on its own stack, since the running stack
// cannot be overwritten from itself.
struct SharedStack {
  explicit SharedStack(std::size_t size);
  ~SharedStack();

  // Makes `target` the occupant: saves the current occupant's used bytes, copies target's back (or
  // lays out its first frame). Must not run on the shared stack itself.
  void occupy(Greenlet* target);
  // Called when a shared greenlet dies: its bytes no longer matter.
  void forget(Greenlet* dead) noexcept;
  // Jumps from `from` (running on this stack) to shared `target` through the relay.
  void relay_jump(Greenlet* from, Greenlet* target) noexcept;

  context::Stack stack;
  Greenlet* occupant = nullptr;

 private:
  [[noreturn]] static void relay_main(void* self, void* first) noexcept;
  void save(Greenlet* g);
  void restore(Greenlet* g);

  context::Stack relay_stack_;
  void* relay_sp_ = nullptr;
  Greenlet* relay_from_ = nullptr;
  Greenlet* relay_target_ = nullptr;
};

struct ThreadGreenlets {
  ThreadGreenlets();
  ~ThreadGreenlets();

  SharedStack& shared();

  Greenlet main;
  std::unique_ptr<SharedStack> shared_stack;
};

// The running greenlet of this thread; null until the thread first touches greenlets.
extern thread_local Greenlet* t_current;
Greenlet* init_thread_greenlets();

// SIGSEGV on a guard page names the greenlet that overflowed; installed once per thread.
void install_overflow_guard();

}  // namespace fern::detail
