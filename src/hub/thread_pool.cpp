#include "fern/hub/thread_pool.hpp"

#include <cstdio>
#include <cstdlib>

namespace fern {

ThreadPool::ThreadPool(std::size_t max_threads) : max_threads_(max_threads ? max_threads : 1) {}

ThreadPool::~ThreadPool() {
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

ThreadPool& ThreadPool::shared() {
  static ThreadPool pool([] {
    const char* env = std::getenv("FERN_THREADPOOL_SIZE");
    long n = env ? std::atol(env) : 16;
    return static_cast<std::size_t>(n > 0 ? n : 16);
  }());
  return pool;
}

}  // namespace fern
