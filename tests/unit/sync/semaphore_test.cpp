#include "fern/sync/semaphore.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <random>
#include <stdexcept>
#include <vector>

#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/timeout.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

TEST(Semaphore, CountsPermits) {
  Semaphore s(2);
  EXPECT_EQ(s.counter(), 2u);
  EXPECT_TRUE(s.acquire());
  EXPECT_TRUE(s.try_acquire());
  EXPECT_TRUE(s.locked());
  EXPECT_FALSE(s.try_acquire());
  s.release();
  EXPECT_EQ(s.counter(), 1u);
  s.release();
  s.release();  // an unbounded semaphore may grow past its start
  EXPECT_EQ(s.counter(), 3u);
}

TEST(Semaphore, AcquireParksUntilRelease) {
  Semaphore s(0);
  std::vector<int> log;
  auto g = spawn([&] {
    log.push_back(1);
    s.acquire();
    log.push_back(3);
  });
  yield();
  log.push_back(2);
  EXPECT_EQ(s.waiting(), 1u);
  s.release();
  g->join();
  EXPECT_EQ(log, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(s.counter(), 0u);
}

TEST(Semaphore, AcquireTimesOut) {
  Semaphore s(0);
  EXPECT_FALSE(s.acquire(1ms));
  EXPECT_FALSE(s.acquire(Duration::zero()));
  EXPECT_EQ(s.waiting(), 0u);
  s.release();
  EXPECT_TRUE(s.acquire(1ms));
}

TEST(Semaphore, WaitersAreServedInArrivalOrder) {
  Semaphore s(0);
  std::vector<int> order;
  std::vector<GreenletRef<>> gs;
  for (int i = 0; i < 5; ++i)
    gs.push_back(spawn([&, i] {
      s.acquire();
      order.push_back(i);
      s.release();
    }));
  yield();
  s.release();
  joinall(gs);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(s.counter(), 1u);
}

TEST(Semaphore, NewcomerCannotTakeAPermitPromisedToAWaiter) {
  Semaphore s(0);
  bool waiter_got_it = false;
  auto waiter = spawn([&] { waiter_got_it = s.acquire(); });
  yield();
  s.release();                    // promised to `waiter`, which has not run yet
  EXPECT_FALSE(s.try_acquire());  // so it is not free
  EXPECT_EQ(s.counter(), 0u);
  waiter->join();
  EXPECT_TRUE(waiter_got_it);
}

TEST(Semaphore, WaiterKilledAfterReleasePassesThePermitOn) {
  Semaphore s(0);
  bool second = false;
  auto first = spawn([&] { s.acquire(); });
  auto other = spawn([&] { second = s.acquire(); });
  yield();
  s.release();                  // promised to `first`...
  first->kill(nullptr, false);  // ...which dies before it runs
  joinall({first, other});
  EXPECT_TRUE(second);
  EXPECT_EQ(s.counter(), 0u);
}

TEST(Semaphore, WaiterKilledWithNobodyLeftLeavesThePermitFree) {
  Semaphore s(0);
  auto g = spawn([&] { s.acquire(); });
  yield();
  s.release();
  g->kill();
  EXPECT_EQ(s.counter(), 1u);
  EXPECT_TRUE(s.try_acquire());
}

TEST(Semaphore, TimeoutScopeWhileWaitingLeaksNothing) {
  Semaphore s(1);
  s.acquire();
  auto g = spawn([&] {
    Timeout t(1ms);
    s.acquire();
  });
  g->join();
  EXPECT_THROW(g.get(), TimeoutError);
  EXPECT_EQ(s.waiting(), 0u);
  s.release();
  EXPECT_EQ(s.counter(), 1u);
}

TEST(Semaphore, WaitDoesNotTakeThePermit) {
  Semaphore s(0);
  std::size_t seen = 99;
  bool acquirer = false;
  auto waiter = spawn([&] { seen = s.wait(); });
  auto taker = spawn([&] { acquirer = s.acquire(); });
  yield();
  s.release();  // promised to `waiter`, which only looks and passes it to `taker`
  joinall({waiter, taker});
  EXPECT_EQ(seen, 1u);
  EXPECT_TRUE(acquirer);
  EXPECT_EQ(s.counter(), 0u);
  EXPECT_EQ(s.wait(1ms), 0u);
}

TEST(Semaphore, WorksWithStandardLockGuards) {
  Semaphore s(1);
  {
    std::lock_guard guard(s);
    EXPECT_TRUE(s.locked());
  }
  EXPECT_FALSE(s.locked());
  s.acquire();
  std::unique_lock timed(s, std::chrono::milliseconds(1));
  EXPECT_FALSE(timed.owns_lock());
  s.release();
  EXPECT_TRUE(timed.try_lock_for(1ms));
}

// Many holders and waiters, some killed and some timing out at arbitrary points (a fixed seed):
// whatever happens, every permit comes back and no reservation is left behind.
TEST(Semaphore, KillsAndTimeoutsAtRandomNeverLeakPermits) {
  constexpr std::size_t kPermits = 3;
  Semaphore s(kPermits);
  std::mt19937 rng(12345);
  std::vector<GreenletRef<>> gs;
  int held = 0, most = 0;
  for (int i = 0; i < 300; ++i) {
    const int work = static_cast<int>(rng() % 4);
    const bool with_timeout = rng() % 3 == 0;
    gs.push_back(spawn([&, work, with_timeout] {
      if (with_timeout ? !s.acquire(std::chrono::microseconds(50)) : !s.acquire()) return;
      std::lock_guard<Semaphore> release(s, std::adopt_lock);
      most = std::max(most, ++held);
      struct Leave {
        int& held;
        ~Leave() { --held; }
      } leave{held};
      for (int k = 0; k < work; ++k) yield();
    }));
    if (i % 7 == 0) yield();
    if (rng() % 4 == 0) gs[rng() % gs.size()]->kill(nullptr, false);
  }
  joinall(gs);
  EXPECT_LE(most, static_cast<int>(kPermits));
  EXPECT_EQ(held, 0);
  EXPECT_EQ(s.waiting(), 0u);
  EXPECT_EQ(s.counter(), kPermits);
}

TEST(BoundedSemaphore, ReleaseAboveTheStartIsAnError) {
  BoundedSemaphore s(2);
  EXPECT_THROW(s.release(), std::logic_error);
  s.acquire();
  s.release();
  EXPECT_THROW(s.release(), std::logic_error);
  Semaphore& plain = s;  // the bound holds through the base class too
  EXPECT_THROW(plain.release(), std::logic_error);
  EXPECT_EQ(s.counter(), 2u);
}

}  // namespace
}  // namespace fern
