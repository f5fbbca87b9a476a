// Per-thread greenlet state: the main greenlet and the current one. Internal to the greenlet layer.
#pragma once

#include <atomic>
#include <memory>

#include "fern/greenlet/greenlet.hpp"

namespace fern::detail {

// A greenlet names its thread by the address of this object, and compares addresses to refuse a
// switch from another thread. So the object outlives its thread while any greenlet made there
// exists: otherwise a thread started later could be given the same address and take a dead
// thread's greenlets for its own. The thread holds one reference and every greenlet object one;
// the last to let go deletes it.
struct ThreadGreenlets {
  ThreadGreenlets();
  ~ThreadGreenlets();

  // At thread exit: the main greenlet's locals go, and the thread's reference with them.
  void thread_exited() noexcept;
  void retain() noexcept { refs.fetch_add(1, std::memory_order_relaxed); }
  // Deletes `owner` when this was the last reference (a greenlet may die on another thread).
  static void release(ThreadGreenlets* owner) noexcept;

  Greenlet main;
  std::atomic<bool> thread_alive{true};
  std::atomic<std::size_t> refs{1};
};

// t_current, the running greenlet of this thread, is declared in greenlet.hpp.
Greenlet* init_thread_greenlets();

// SIGSEGV on a guard page names the greenlet that overflowed; installed once per thread.
void install_overflow_guard();

}  // namespace fern::detail
