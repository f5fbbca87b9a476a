#include "fern/aio/sync.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "fern/aio/sleep.hpp"
#include "fern/aio/spawn.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/timeout.hpp"

using namespace std::chrono_literals;

namespace fern::aio {
namespace {

using Log = std::vector<std::string>;

Task<bool> wait_event(Event& e, Duration timeout) { co_return co_await wait(e, timeout); }

TEST(AioSync, ATaskWaitsForAnEventSetByAGreenlet) {
  Event e;
  auto setter = fern::spawn([&] {
    fern::sleep(1ms);
    e.set();
  });
  EXPECT_TRUE(run(wait_event(e, kForever)));
  setter->join();
}

TEST(AioSync, EventWaitTimesOut) {
  Event e;
  EXPECT_FALSE(run(wait_event(e, 2ms)));
  e.set();
  EXPECT_TRUE(run(wait_event(e, 0s)));  // already set: no suspension at all
}

Task<void> set_later(Event& e) {
  co_await sleep(1ms);
  e.set();
}

TEST(AioSync, AGreenletWaitsForAnEventSetByATask) {
  Event e;
  auto t = spawn(set_later(e));
  EXPECT_TRUE(e.wait(1h));
  t.join();
}

Task<int> get_result(AsyncResult<int>& r, Duration timeout) { co_return co_await get(r, timeout); }

TEST(AioSync, AsyncResultValuesAndTimeouts) {
  AsyncResult<int> r;
  EXPECT_THROW(run(get_result(r, 1ms)), TimeoutError);
  auto g = fern::spawn([&] { r.set(9); });
  EXPECT_EQ(run(get_result(r, kForever)), 9);
}

// Queue ping-pong between a task and a greenlet, both directions parking.
Task<long> task_side(Queue<long>& there, Queue<long>& back, int n) {
  long sum = 0;
  for (int i = 0; i < n; ++i) {
    co_await put(there, static_cast<long>(i));
    sum += co_await get(back);
  }
  co_return sum;
}

TEST(AioSync, QueuePingPongWithAGreenlet) {
  Queue<long> there(1), back(1);
  auto g = fern::spawn([&] {
    for (int i = 0; i < 50; ++i) back.put(there.get() * 2);
  });
  EXPECT_EQ(run(task_side(there, back, 50)), 2 * (49 * 50 / 2));
  g->join();
}

Task<long> get_with_timeout(Queue<long>& q) { co_return co_await get(q, 2ms); }

TEST(AioSync, QueueGetTimesOutWithQueueEmpty) {
  Queue<long> q;
  EXPECT_THROW(run(get_with_timeout(q)), QueueEmpty);
  EXPECT_EQ(q.getters_waiting(), 0u);
}

Task<void> cancelled_getter(Queue<long>& q, Log& log) {
  try {
    co_await get(q);
    log.push_back("got");
  } catch (const CancelledError&) {
    log.push_back("cancelled");
  }
}

// A getter cancelled while parked leaves the queue consistent: the next item goes to a live getter.
TEST(AioSync, CancellingAWaitingGetterLosesNoItem) {
  Queue<long> q;
  Log log;
  auto t = spawn(cancelled_getter(q, log));
  fern::sleep(1ms);
  EXPECT_EQ(q.getters_waiting(), 1u);
  t.cancel();
  t.join();
  EXPECT_EQ(log, Log{"cancelled"});
  EXPECT_EQ(q.getters_waiting(), 0u);
  q.put(5);
  EXPECT_EQ(q.get(0s), 5);
}

Task<void> critical(Lock& lock, Log& log, std::string name) {
  co_await acquire(lock);
  log.push_back(name + " in");
  co_await sleep(1ms);
  log.push_back(name + " out");
  lock.release();
}

Task<void> contend(Lock& lock, Log& log) {
  auto a = spawn(critical(lock, log, "a"));
  auto b = spawn(critical(lock, log, "b"));
  co_await a;
  co_await b;
}

TEST(AioSync, ALockSerialisesTasks) {
  Lock lock;
  Log log;
  run(contend(lock, log));
  EXPECT_EQ(log, (Log{"a in", "a out", "b in", "b out"}));
  EXPECT_FALSE(lock.locked());
}

Task<bool> try_acquire_for(Semaphore& s, Duration d) { co_return co_await acquire(s, d); }

TEST(AioSync, SemaphoreAcquireTimesOutAndSharesPermitsWithGreenlets) {
  Semaphore s(1);
  ASSERT_TRUE(s.acquire());
  EXPECT_FALSE(run(try_acquire_for(s, 2ms)));
  auto g = fern::spawn([&] {
    fern::sleep(1ms);
    s.release();
  });
  EXPECT_TRUE(run(try_acquire_for(s, kForever)));
  EXPECT_EQ(s.counter(), 0u);
  s.release();
}

// asyncio's `async with lock:`: the permit goes back at the end of the scope, also when the task
// leaves it by an exception; a timed-out scoped_acquire holds nothing.
Task<void> scoped_critical(Lock& lock, Log& log, std::string name, bool fail) {
  auto held = co_await scoped_acquire(lock);
  log.push_back(name + " in");
  co_await sleep(1ms);
  if (fail) throw std::runtime_error(name + " failed");
  log.push_back(name + " out");
}

Task<void> scoped_contend(Lock& lock, Log& log) {
  auto a = spawn(scoped_critical(lock, log, "a", true));
  auto b = spawn(scoped_critical(lock, log, "b", false));
  try {
    co_await a;
  } catch (const std::runtime_error&) {
    log.push_back("a raised");
  }
  co_await b;
}

Task<bool> scoped_try(Semaphore& s, Duration d) {
  auto held = co_await scoped_acquire(s, d);
  co_return static_cast<bool>(held);
}

TEST(AioSync, ScopedAcquireReleasesOnEveryExit) {
  Lock lock;
  Log log;
  run(scoped_contend(lock, log));
  EXPECT_EQ(log, (Log{"a in", "a raised", "b in", "b out"}));  // b gets in only once a left by raising
  EXPECT_FALSE(lock.locked());
  Semaphore s(1);
  ASSERT_TRUE(s.acquire());
  EXPECT_FALSE(run(scoped_try(s, 1ms)));
  EXPECT_EQ(s.counter(), 0u);  // the timed-out scope released nothing
  s.release();
  EXPECT_TRUE(run(scoped_try(s, kForever)));
  EXPECT_EQ(s.counter(), 1u);
}

// A task and a greenlet share a Condition: the task waits for the greenlet's item under the lock.
Task<int> take_when_ready(Condition& cond, std::vector<int>& items) {
  auto held = co_await scoped_acquire(cond);
  while (items.empty()) co_await wait(cond);
  int item = items.back();
  items.pop_back();
  co_return item;
}

// A Barrier that two tasks and a greenlet pass together.
Task<std::size_t> arrive(Barrier& barrier) { co_return co_await wait(barrier); }

TEST(AioSync, TasksAndGreenletsShareAConditionAndABarrier) {
  Lock lock;
  Condition cond(lock);
  std::vector<int> items;
  auto consumer = spawn(take_when_ready(cond, items));
  fern::sleep(0ms);
  {
    std::lock_guard held(cond);
    items.push_back(42);
    cond.notify();
  }
  EXPECT_EQ(consumer.get(), 42);
  EXPECT_FALSE(lock.locked());

  Barrier barrier(3);
  auto t1 = spawn(arrive(barrier));
  auto t2 = spawn(arrive(barrier));
  std::size_t mine = barrier.wait();
  EXPECT_EQ(mine + t1.get() + t2.get(), 0u + 1u + 2u);
}

}  // namespace
}  // namespace fern::aio
