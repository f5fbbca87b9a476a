#include "fern/sync/lock.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/timeout.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

TEST(Lock, ExcludesOtherGreenlets) {
  Lock lock;
  int inside = 0, most = 0, done = 0;
  std::vector<GreenletRef<>> gs;
  for (int i = 0; i < 10; ++i)
    gs.push_back(spawn([&] {
      for (int round = 0; round < 3; ++round) {
        std::lock_guard guard(lock);
        most = std::max(most, ++inside);
        yield();  // the others run meanwhile and must wait
        --inside;
        ++done;
      }
    }));
  joinall(gs);
  EXPECT_EQ(most, 1);
  EXPECT_EQ(done, 30);
  EXPECT_FALSE(lock.locked());
}

TEST(Lock, AReleasedLockGoesToTheWaiterNotBackToAGreedyHolder) {
  Lock lock;
  std::vector<std::string> log;
  auto greedy = spawn([&] {
    for (int i = 0; i < 3; ++i) {
      lock.acquire();
      log.push_back("greedy");
      yield();
      lock.release();  // and straight back to acquire(): the waiter must get it first
    }
  });
  auto polite = spawn([&] {
    yield();
    lock.acquire();
    log.push_back("polite");
    lock.release();
  });
  joinall({greedy, polite});
  EXPECT_EQ(log, (std::vector<std::string>{"greedy", "greedy", "polite", "greedy"}));
}

TEST(Lock, ReleasingAnUnlockedLockIsAnError) {
  Lock lock;
  EXPECT_THROW(lock.release(), std::logic_error);
  lock.acquire();
  lock.release();
  EXPECT_THROW(lock.unlock(), std::logic_error);
}

TEST(Lock, TimeoutFiringInsideTheGuardReleasesTheLock) {
  Lock lock;
  bool timed_out = false;
  auto holder = spawn([&] {
    Timeout t(1ms);
    try {
      std::lock_guard guard(lock);
      sleep(1h);
    } catch (const TimeoutError& e) {
      timed_out = e.is(t);
    }
  });
  bool second_got_it = false;
  auto second = spawn([&] {
    std::lock_guard guard(lock);
    second_got_it = true;
  });
  joinall({holder, second});
  EXPECT_TRUE(timed_out);
  EXPECT_TRUE(second_got_it);
  EXPECT_FALSE(lock.locked());
}

TEST(Lock, KilledHolderReleasesThroughTheGuard) {
  Lock lock;
  auto holder = spawn([&] {
    std::lock_guard guard(lock);
    sleep(1h);
  });
  yield();
  EXPECT_TRUE(lock.locked());
  holder->kill();
  EXPECT_FALSE(lock.locked());
}

TEST(Lock, TimedTryLock) {
  Lock lock;
  auto holder = spawn([&] {
    std::lock_guard guard(lock);
    sleep(1h);
  });
  yield();
  std::unique_lock attempt(lock, std::defer_lock);
  EXPECT_FALSE(attempt.try_lock_for(1ms));
  EXPECT_FALSE(attempt.try_lock());
  holder->kill();
  EXPECT_TRUE(attempt.try_lock_for(1ms));
}

TEST(Lock, ScopedLockTakesTwoLocksInEitherOrderWithoutDeadlock) {
  Lock a, b;
  int done = 0;
  auto one = spawn([&] {
    for (int i = 0; i < 20; ++i) {
      std::scoped_lock both(a, b);
      yield();
      ++done;
    }
  });
  auto two = spawn([&] {
    for (int i = 0; i < 20; ++i) {
      std::scoped_lock both(b, a);
      yield();
      ++done;
    }
  });
  joinall({one, two});
  EXPECT_EQ(done, 40);
}

TEST(Lock, TenThousandGreenletsContendFairly) {
  constexpr int kGreenlets = 10000;
  Lock lock;
  int inside = 0, most = 0;
  std::vector<int> order;
  order.reserve(kGreenlets);
  std::vector<GreenletRef<>> gs;
  gs.reserve(kGreenlets);
  SpawnOptions small;
  small.greenlet.mode = StackMode::guarded;  // parked waiters are linked through their stacks
  small.greenlet.stack_size = 64 * 1024;
  lock.acquire();  // all of them queue up behind the main greenlet
  for (int i = 0; i < kGreenlets; ++i) {
    gs.push_back(spawn_with(small, [&, i] {
      std::lock_guard guard(lock);
      most = std::max(most, ++inside);
      yield();
      --inside;
      order.push_back(i);
    }));
  }
  yield();
  EXPECT_EQ(lock.waiting(), static_cast<std::size_t>(kGreenlets));
  lock.release();
  joinall(gs);
  EXPECT_EQ(most, 1);
  ASSERT_EQ(order.size(), static_cast<std::size_t>(kGreenlets));
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));  // served in arrival order
  EXPECT_FALSE(lock.locked());
}

TEST(RLock, OwnerMayReenter) {
  RLock lock;
  EXPECT_TRUE(lock.acquire());
  EXPECT_TRUE(lock.acquire());
  EXPECT_TRUE(lock.try_acquire());
  EXPECT_EQ(lock.depth(), 3u);
  EXPECT_TRUE(lock.owned());
  bool other_got_it = false;
  auto other = spawn([&] {
    EXPECT_FALSE(lock.owned());
    EXPECT_FALSE(lock.try_acquire());
    other_got_it = lock.acquire();
    lock.release();
  });
  yield();
  lock.release();
  lock.release();
  yield();
  EXPECT_FALSE(other_got_it);  // still held once
  lock.release();
  other->join();
  EXPECT_TRUE(other_got_it);
  EXPECT_FALSE(lock.locked());
}

TEST(RLock, ReleaseByANonOwnerIsAnError) {
  RLock lock;
  EXPECT_THROW(lock.release(), std::logic_error);
  lock.acquire();
  auto intruder = spawn([&] { lock.release(); });
  intruder->join();
  EXPECT_THROW(intruder.get(), std::logic_error);
  EXPECT_TRUE(lock.owned());
  lock.release();
}

TEST(RLock, WorksWithStandardGuardsAndTimeouts) {
  RLock lock;
  {
    std::lock_guard outer(lock);
    std::lock_guard inner(lock);
    EXPECT_EQ(lock.depth(), 2u);
  }
  EXPECT_FALSE(lock.locked());
  auto holder = spawn([&] {
    std::lock_guard guard(lock);
    sleep(1h);
  });
  yield();
  EXPECT_FALSE(lock.acquire(1ms));
  std::unique_lock attempt(lock, std::defer_lock);
  EXPECT_FALSE(attempt.try_lock_for(1ms));
  holder->kill();
  EXPECT_TRUE(attempt.try_lock());
}

}  // namespace
}  // namespace fern
