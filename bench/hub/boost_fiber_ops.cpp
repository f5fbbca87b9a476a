// Boost.Fiber's side of bench/hub, each in its idiomatic form: yield, fiber+join with the pooled
// stack allocator, a condition-variable handoff, and a buffered_channel ping-pong.
#include <boost/context/pooled_fixedsize_stack.hpp>
#include <boost/fiber/all.hpp>
#include <chrono>

#include "ops.hpp"

namespace fern::bench {

namespace fibers = boost::fibers;

double boost_yield(long n) {
  auto loop = [n] {
    for (long i = 0; i < n; ++i) boost::this_fiber::yield();
  };
  auto t0 = std::chrono::steady_clock::now();
  fibers::fiber a(loop), b(loop);
  a.join();
  b.join();
  return per_op(t0, 2 * n);
}

double boost_spawn_join(long n) {
  boost::context::pooled_fixedsize_stack stacks(256 * 1024);
  auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i) fibers::fiber(std::allocator_arg, stacks, [] {}).join();
  return per_op(t0, n);
}

double boost_event(long n) {
  fibers::mutex m;
  fibers::condition_variable cv;
  bool ping = false, pong = false;
  auto t0 = std::chrono::steady_clock::now();
  fibers::fiber a([&] {
    for (long i = 0; i < n; ++i) {
      {
        std::unique_lock lk(m);
        ping = true;
      }
      cv.notify_all();
      std::unique_lock lk(m);
      cv.wait(lk, [&] { return pong; });
      pong = false;
    }
  });
  fibers::fiber b([&] {
    for (long i = 0; i < n; ++i) {
      std::unique_lock lk(m);
      cv.wait(lk, [&] { return ping; });
      ping = false;
      pong = true;
      lk.unlock();
      cv.notify_all();
    }
  });
  a.join();
  b.join();
  return per_op(t0, 2 * n);
}

double boost_queue(long n) {
  fibers::buffered_channel<long> there(64), back(64);
  auto t0 = std::chrono::steady_clock::now();
  fibers::fiber a([&] {
    for (long i = 0; i < n; ++i) {
      there.push(i);
      long v = 0;
      back.pop(v);
    }
  });
  fibers::fiber b([&] {
    for (long i = 0; i < n; ++i) {
      long v = 0;
      there.pop(v);
      back.push(v);
    }
  });
  a.join();
  b.join();
  return per_op(t0, 2 * n);
}

}  // namespace fern::bench
