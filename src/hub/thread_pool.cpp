#include "fern/hub/thread_pool.hpp"

#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <system_error>

#include "fern/base/error.hpp"

namespace fern {
namespace {

// Every pool alive, for the fork handlers.
struct PoolRegistry {
  std::mutex mutex;
  std::vector<ThreadPool*> pools;
};

// Never destroyed: pools destroyed at exit still unregister.
PoolRegistry& pool_registry() {
  static auto* r = new PoolRegistry();
  return *r;
}

}  // namespace

namespace detail {
std::exception_ptr job_lost_in_fork() noexcept {
  try {
    throw std::system_error(make_error_code(Errc::cancelled),
                            "fern: spawn_blocking: the process forked while the job was queued or running; "
                            "its thread is not in the child, so only the parent gets its result");
  } catch (...) {
    return std::current_exception();
  }
}
}  // namespace detail

ThreadPool::ThreadPool(std::size_t max_threads) : max_threads_(max_threads ? max_threads : 1) {
  static const bool handlers =
      pthread_atfork(&lock_all_before_fork, &unlock_all_after_fork, &reset_all_in_child) == 0;
  (void)handlers;
  std::lock_guard lock(pool_registry().mutex);
  pool_registry().pools.push_back(this);
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(pool_registry().mutex);
    std::erase(pool_registry().pools, this);
  }
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void ThreadPool::submit(std::function<void()> job) {
  std::unique_lock lock(mutex_);
  jobs_.push_back(std::move(job));
  if (idle_ == 0 && threads_.size() < max_threads_) {
    threads_.emplace_back([this] { work(); });
  } else {
    lock.unlock();
    ready_.notify_one();
  }
}

std::size_t ThreadPool::threads() const {
  std::lock_guard lock(mutex_);
  return threads_.size();
}

void ThreadPool::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    ++idle_;
    ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    --idle_;
    if (jobs_.empty()) return;  // stopping, and nothing left to do
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    try {
      job();
    } catch (...) {
      std::fputs("fern: a thread-pool job threw; jobs must catch their own errors\n", stderr);
    }
    lock.lock();
  }
}

void ThreadPool::lock_all_before_fork() noexcept {
  pool_registry().mutex.lock();
  for (ThreadPool* pool : pool_registry().pools) pool->mutex_.lock();
}

void ThreadPool::unlock_all_after_fork() noexcept {
  for (ThreadPool* pool : pool_registry().pools) pool->mutex_.unlock();
  pool_registry().mutex.unlock();
}

void ThreadPool::reset_all_in_child() noexcept {
  for (ThreadPool* pool : pool_registry().pools) pool->reset_in_child();
  pool_registry().mutex.unlock();
}

// Only the forking thread is in the child, and it holds the lock (lock_all_before_fork). The
// workers' std::threads name threads that are not here: neither joined nor detached, just
// overwritten. The condition variable may count them as waiters, and glibc's may wait for those to
// leave: a fresh one replaces it. Queued jobs run in the parent; here they are only kept, since
// destroying what they captured before the hub is reinitialised could act on the parent's kernel
// objects (a socket closed through the inherited epoll set).
void ThreadPool::reset_in_child() noexcept {
  for (std::thread& t : threads_) std::construct_at(&t);
  threads_.clear();
  std::construct_at(&ready_);
  try {
    for (std::function<void()>& job : jobs_) orphaned_jobs_.push_back(std::move(job));
  } catch (...) {
    // Out of memory: the jobs not moved yet are destroyed here after all.
  }
  jobs_.clear();
  idle_ = 0;
  mutex_.unlock();
}

ThreadPool& ThreadPool::shared() {
  static ThreadPool pool([] {
    const char* env = std::getenv("FERN_THREADPOOL_SIZE");
    long n = env ? std::atol(env) : 16;
    return static_cast<std::size_t>(n > 0 ? n : 16);
  }());
  return pool;
}

}  // namespace fern
