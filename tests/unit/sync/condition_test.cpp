// Condition: producers and consumers hand work over under the lock; notify(n) wakes n, notify_all
// wakes all; a timed-out or killed waiter holds the lock again when its wait ends.
#include "fern/sync/condition.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

TEST(Condition, ConsumersWaitForWhatProducersAdd) {
  Condition changed;
  std::deque<int> jobs;
  std::vector<int> taken;
  std::vector<GreenletRef<>> consumers;
  for (int c = 0; c < 3; ++c) {
    consumers.push_back(spawn([&] {
      std::unique_lock held(changed);
      changed.wait_for([&] { return !jobs.empty(); });
      taken.push_back(jobs.front());
      jobs.pop_front();
    }));
  }
  sleep(0ms);  // all three are parked in wait_for
  EXPECT_EQ(changed.waiting(), 3u);
  for (int j = 1; j <= 3; ++j) {
    std::lock_guard held(changed);
    jobs.push_back(j);
    changed.notify();
  }
  joinall(consumers);
  std::sort(taken.begin(), taken.end());
  EXPECT_EQ(taken, (std::vector<int>{1, 2, 3}));
}

TEST(Condition, NotifyWakesOnlyAsManyAsAsked) {
  Condition cond;
  int woken = 0;
  std::vector<GreenletRef<>> waiters;
  for (int i = 0; i < 4; ++i) {
    waiters.push_back(spawn([&] {
      std::lock_guard held(cond);
      cond.wait();
      ++woken;
    }));
  }
  sleep(0ms);
  {
    std::lock_guard held(cond);
    cond.notify(2);
  }
  sleep(0ms);
  sleep(0ms);
  EXPECT_EQ(woken, 2);
  EXPECT_EQ(cond.waiting(), 2u);
  {
    std::lock_guard held(cond);
    cond.notify_all();
  }
  joinall(waiters);
  EXPECT_EQ(woken, 4);
}

TEST(Condition, ATimedOutWaitHoldsTheLockAgain) {
  Lock lock;
  Condition cond(lock);
  std::lock_guard held(cond);
  EXPECT_FALSE(cond.wait(1ms));
  EXPECT_TRUE(lock.locked());
  EXPECT_FALSE(cond.wait_for([] { return false; }, 1ms));
  EXPECT_TRUE(lock.locked());
}

// A kill ends the wait, the lock is taken again, and the guard's release balances it: the next
// greenlet can take the lock.
TEST(Condition, AKilledWaiterReleasesTheLockThroughItsGuard) {
  Condition cond;
  auto waiter = spawn([&] {
    std::lock_guard held(cond);
    cond.wait();
  });
  sleep(0ms);
  waiter->kill();
  EXPECT_TRUE(waiter->killed());
  EXPECT_TRUE(cond.try_lock());
  cond.unlock();
}

TEST(Condition, WaitWithoutTheLockIsALogicError) {
  Condition cond;
  EXPECT_THROW(cond.wait(1ms), std::logic_error);
}

// A notification given to a waiter that is killed before it runs is not lost: the next waiter
// gets it, so notify(1) never wakes nobody while greenlets wait.
TEST(Condition, ANotifiedWaiterThatLeavesPassesTheNotificationOn) {
  Condition cond;
  std::string log;
  auto leaves = spawn([&] {
    std::lock_guard held(cond);
    cond.wait();
    log += "leaves-woken ";
  });
  auto stays = spawn([&] {
    std::lock_guard held(cond);
    cond.wait();
    log += "stays-woken ";
  });
  sleep(0ms);  // both parked, `leaves` first in line
  {
    std::lock_guard held(cond);
    cond.notify(1);  // goes to `leaves` ...
  }
  leaves->kill();  // ... which dies before it runs
  EXPECT_TRUE(stays->join(60s)) << "the notification was lost";
  EXPECT_EQ(log, "stays-woken ");
}

}  // namespace
}  // namespace fern
