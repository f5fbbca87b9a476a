#include "fern/aio/sleep.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "fern/aio/spawn.hpp"
#include "fern/aio/wait.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"

using namespace std::chrono_literals;

namespace fern::aio {
namespace {

using Log = std::vector<std::string>;

// L12: asyncio's two coroutines that each sleep one second, run with wait([...]).
Task<void> lesson_task(Log& log, std::string name, TimePoint& woke) {
  log.push_back(name + " start");
  co_await sleep(1s);
  woke = Clock::now();
  log.push_back(name + " end");
}

Task<void> both(Log& log, TimePoint& a, TimePoint& b) {
  co_await wait(spawn(lesson_task(log, "a", a)), spawn(lesson_task(log, "b", b)));
}

TEST(Sleep, TwoTasksSleepingOneSecondFinishTogether) {
  Log log;
  TimePoint a, b;
  const TimePoint start = Clock::now();
  run(both(log, a, b));
  // Concurrent, not serial: b began sleeping before a woke, so both seconds overlapped
  // (serially the order would be a start, a end, b start, b end).
  EXPECT_EQ(log, (Log{"a start", "b start", "a end", "b end"}));
  // Neither woke early.
  EXPECT_GE(a - start, 1s);
  EXPECT_GE(b - start, 1s);
}

Task<void> yielder(Log& log, std::string name, int n) {
  for (int i = 0; i < n; ++i) {
    log.push_back(name);
    co_await sleep(0s);
  }
}

Task<void> interleave(Log& log) { co_await wait(spawn(yielder(log, "x", 3)), spawn(yielder(log, "y", 3))); }

TEST(Sleep, ZeroSleepLetsOtherTasksRun) {
  Log log;
  run(interleave(log));
  EXPECT_EQ(log, (Log{"x", "y", "x", "y", "x", "y"}));
}

TEST(Sleep, TasksAndGreenletsShareTheHub) {
  Log log;
  auto g = fern::spawn([&] {
    for (int i = 0; i < 3; ++i) {
      log.push_back("greenlet");
      fern::sleep(0s);
    }
  });
  run(yielder(log, "task", 3));
  g->join();
  EXPECT_EQ(log, (Log{"greenlet", "task", "greenlet", "task", "greenlet", "task"}));
}

Task<int> ordered_wakeups(Log& log) {
  auto late = spawn([](Log& l) -> Task<void> {
    co_await sleep(30ms);
    l.push_back("30ms");
  }(log));
  auto early = spawn([](Log& l) -> Task<void> {
    co_await sleep_until(Clock::now() + 10ms);
    l.push_back("10ms");
  }(log));
  co_await wait(late, early);
  co_return 0;
}

TEST(Sleep, WakesInDeadlineOrder) {
  Log log;
  run(ordered_wakeups(log));
  EXPECT_EQ(log, (Log{"10ms", "30ms"}));
}

}  // namespace
}  // namespace fern::aio
