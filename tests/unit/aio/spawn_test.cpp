#include "fern/aio/spawn.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fern/aio/sleep.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/timeout.hpp"
#include "fern/hub/wait.hpp"

using namespace std::chrono_literals;

namespace fern::aio {
namespace {

using Log = std::vector<std::string>;

Task<int> slow_value(int v, Duration d) {
  co_await sleep(d);
  co_return v;
}

Task<void> sleep_logged(Log& log, Duration d) {
  log.push_back("started");
  try {
    co_await sleep(d);
  } catch (const CancelledError&) {
    log.push_back("cancelled");
    throw;
  }
  log.push_back("finished");
}

TEST(Spawn, AGreenletJoinsATask) {
  TaskHandle<int> h = spawn(slow_value(5, 1ms));
  EXPECT_FALSE(h.done());
  EXPECT_EQ(h.get(), 5);
  EXPECT_TRUE(h.done());
  EXPECT_TRUE(h.successful());
}

TEST(Spawn, JoinTimesOutWhileTheTaskRuns) {
  TaskHandle<int> h = spawn(slow_value(5, 1h));
  EXPECT_FALSE(h.join(1ms));
  EXPECT_THROW(h.get(1ms), TimeoutError);
  EXPECT_TRUE(h.cancel());
  EXPECT_TRUE(h.join());
  EXPECT_TRUE(h.cancelled());
  EXPECT_THROW(h.get(), CancelledError);
}

TEST(Spawn, CancelRaisesAtTheCurrentAwait) {
  Log log;
  auto h = spawn(sleep_logged(log, 1h));
  fern::sleep(0s);  // let it start and suspend
  EXPECT_EQ(log, Log{"started"});
  h.cancel();
  h.join();
  EXPECT_EQ(log, (Log{"started", "cancelled"}));
  EXPECT_TRUE(h.cancelled());
  EXPECT_FALSE(h.cancel());  // finished: nothing to cancel
}

TEST(Spawn, ATaskCancelledBeforeItStartsNeverRuns) {
  Log log;
  auto h = spawn(sleep_logged(log, 1ms));
  h.cancel();
  h.join();
  EXPECT_TRUE(log.empty());
  EXPECT_TRUE(h.cancelled());
}

Task<std::string> catch_and_continue(Log& log) {
  try {
    co_await sleep(1h);
  } catch (const CancelledError&) {
    log.push_back("caught");
  }
  co_await sleep(1ms);  // a cancellation is raised once; the task may go on
  co_return "went on";
}

TEST(Spawn, ACancelledTaskMayCatchItAndContinue) {
  Log log;
  auto h = spawn(catch_and_continue(log));
  fern::sleep(0s);
  h.cancel();
  EXPECT_EQ(h.get(), "went on");
  EXPECT_EQ(log, Log{"caught"});
}

Task<int> await_handle(TaskHandle<int> h) { co_return co_await h + 1; }

TEST(Spawn, ATaskAwaitsAnotherSpawnedTask) {
  auto inner = spawn(slow_value(41, 1ms));
  EXPECT_EQ(run(await_handle(inner)), 42);
  EXPECT_EQ(inner.get(), 41);  // every waiter sees the result
}

Task<int> failing() {
  co_await sleep(0s);
  throw std::logic_error("task failed");
}

TEST(Spawn, TheTaskExceptionReachesEveryWaiter) {
  auto h = spawn(failing());
  EXPECT_THROW(h.get(), std::logic_error);
  EXPECT_THROW(run(await_handle(h)), std::logic_error);
  EXPECT_FALSE(h.successful());
  EXPECT_FALSE(h.cancelled());
}

TEST(Spawn, DroppedHandlesDoNotStopTheTask) {
  Log log;
  { spawn(sleep_logged(log, 1ms)); }
  fern::sleep(20ms);
  EXPECT_EQ(log, (Log{"started", "finished"}));
}

TEST(Spawn, FernWaitSeesTasksAsWaitables) {
  auto fast = spawn(slow_value(1, 1ms));
  auto slow = spawn(slow_value(2, 1h));
  auto done = fern::wait({&fast.waitable(), &slow.waitable()}, kForever, 1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0], &fast.waitable());
  slow.cancel();
  slow.join();
}

// A hub that goes away with a task still suspended unwinds its frame (destructors run).
TEST(Spawn, TheHubUnwindsSuspendedTasksWhenItGoesAway) {
  bool unwound = false;
  std::thread([&] {
    struct Flag {
      bool* set;
      ~Flag() { *set = true; }
    };
    spawn([](bool* u) -> Task<void> {
      Flag f{u};
      co_await sleep(1h);
    }(&unwound));
    fern::sleep(0s);
  }).join();
  EXPECT_TRUE(unwound);
}

}  // namespace
}  // namespace fern::aio
