// pthreads as greenlets (PatchOptions::threads, FERN_GREEN_THREADS=1): gevent patches Python's
// threading the same way, so a program that runs one blocking thread per connection runs them all
// as greenlets of one thread. A green thread's pthread_t is the address of its record; pthread_join
// parks the caller on the greenlet. Limits (docs/design/hook.md): joins from the creating OS thread
// only; no pthread_exit, pthread_cancel or thread-specific data of its own; a mutex held across a
// blocking call deadlocks, because every green thread is the same OS thread to the kernel.
#include <pthread.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <unordered_set>

#include <fern/hub/monitor.hpp>
#include <fern/hub/spawn.hpp>

#include "cooperation.hpp"
#include "hooked_calls.hpp"
#include "real_calls.hpp"

namespace fern::hook {

namespace {

struct GreenThread {
  void* (*start)(void*);
  void* arg;
  void* result = nullptr;
  GreenletRef<> greenlet;
  bool detached = false;
  bool finished = false;
};

std::mutex g_threads_mutex;
std::unordered_set<GreenThread*>& green_threads() {
  static auto* set = new std::unordered_set<GreenThread*>();  // never destroyed: used at exit
  return *set;
}

GreenThread* find_green(pthread_t t) {
  auto* gt = reinterpret_cast<GreenThread*>(t);
  std::lock_guard lock(g_threads_mutex);
  return green_threads().count(gt) ? gt : nullptr;
}

void destroy(GreenThread* gt) {
  {
    std::lock_guard lock(g_threads_mutex);
    green_threads().erase(gt);
  }
  delete gt;
}

bool wants_green(const pthread_attr_t*) noexcept {
  return patched() && g_green_threads.load(std::memory_order_relaxed) && !t_starting_internal_thread &&
         !detail::t_creating_runtime_thread;
}

SpawnOptions options_for(const pthread_attr_t* attr, bool& detached) {
  SpawnOptions options;
  options.name = "pthread";
  options.greenlet.mode = StackMode::guarded;
  detached = false;
  if (attr) {
    size_t size = 0;
    if (pthread_attr_getstacksize(attr, &size) == 0)
      options.greenlet.stack_size = std::max(size, options.greenlet.stack_size);
    int state = PTHREAD_CREATE_JOINABLE;
    if (pthread_attr_getdetachstate(attr, &state) == 0) detached = state == PTHREAD_CREATE_DETACHED;
  }
  return options;
}

}  // namespace

int hooked_pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*), void* arg) {
  if (!wants_green(attr)) return real().pthread_create(thread, attr, start, arg);
  try {
    bool detached = false;
    SpawnOptions options = options_for(attr, detached);
    auto* gt = new GreenThread{start, arg};
    gt->detached = detached;
    {
      std::lock_guard lock(g_threads_mutex);
      green_threads().insert(gt);
    }
    gt->greenlet = spawn_with(options, [gt] {
      gt->result = gt->start(gt->arg);
      gt->finished = true;
      if (gt->detached) destroy(gt);  // the greenlet keeps itself alive until it returns
    });
    *thread = reinterpret_cast<pthread_t>(gt);
    return 0;
  } catch (...) {
    return EAGAIN;
  }
}

int hooked_pthread_join(pthread_t thread, void** result) {
  GreenThread* gt = patched() ? find_green(thread) : nullptr;
  if (!gt) return real().pthread_join(thread, result);
  if (gt->detached) return EINVAL;
  try {
    gt->greenlet->join();
  } catch (...) {
    record_interruption(std::current_exception());
    return EINTR;
  }
  if (result) *result = gt->result;
  destroy(gt);
  return 0;
}

int hooked_pthread_detach(pthread_t thread) {
  GreenThread* gt = patched() ? find_green(thread) : nullptr;
  if (!gt) return real().pthread_detach(thread);
  if (gt->detached) return EINVAL;
  gt->detached = true;
  if (gt->finished) destroy(gt);
  return 0;
}

}  // namespace fern::hook
