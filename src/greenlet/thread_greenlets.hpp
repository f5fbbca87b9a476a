// Per-thread greenlet state: the main greenlet and the current one. Internal to the greenlet layer.
#pragma once

#include <memory>

#include "fern/greenlet/greenlet.hpp"

namespace fern::detail {

struct ThreadGreenlets {
  ThreadGreenlets();
  ~ThreadGreenlets();

  Greenlet main;
};

// t_current, the running greenlet of this thread, is declared in greenlet.hpp.
Greenlet* init_thread_greenlets();

// SIGSEGV on a guard page names the greenlet that overflowed; installed once per thread.
void install_overflow_guard();

}  // namespace fern::detail
