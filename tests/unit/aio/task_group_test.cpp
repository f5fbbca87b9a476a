#include "fern/aio/task_group.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "fern/aio/sleep.hpp"
#include "fern/aio/timeout.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/timeout.hpp"

using namespace std::chrono_literals;

namespace fern::aio {
namespace {

using Log = std::vector<std::string>;

Task<void> step(Log& log, std::string name, Duration d) {
  try {
    co_await sleep(d);
  } catch (const CancelledError&) {
    log.push_back(name + " cancelled");
    throw;
  }
  log.push_back(name);
}

Task<void> fail(Log& log, Duration d) {
  co_await sleep(d);
  log.push_back("fail");
  throw std::runtime_error("child failed");
}

Task<void> all_succeed(Log& log) {
  TaskGroup group;
  group.spawn(step(log, "b", 2ms));
  group.spawn(step(log, "a", 1ms));
  EXPECT_EQ(group.running(), 2u);
  co_await group.join();
  EXPECT_EQ(group.running(), 0u);
  log.push_back("joined");
}

TEST(TaskGroup, JoinWaitsForEveryChild) {
  Log log;
  run(all_succeed(log));
  EXPECT_EQ(log, (Log{"a", "b", "joined"}));
}

Task<void> one_fails(Log& log) {
  TaskGroup group;
  group.spawn(step(log, "long", 1h));
  group.spawn(fail(log, 1ms));
  group.spawn(step(log, "other", 1h));
  try {
    co_await group.join();
  } catch (const std::runtime_error& e) {
    log.push_back(std::string("join: ") + e.what());
  }
  // Spawning into a failed group cancels the newcomer at once: its body never runs.
  auto late = group.spawn(step(log, "late", 1ms));
  try {
    co_await group.join();
  } catch (const std::runtime_error&) {
  }
  EXPECT_TRUE(late.cancelled());
}

TEST(TaskGroup, OneFailureCancelsTheRestAndIsRethrown) {
  Log log;
  run(one_fails(log));
  EXPECT_EQ(log, (Log{"fail", "long cancelled", "other cancelled", "join: child failed"}));
}

Task<void> join_under_timeout(Log& log) {
  TaskGroup group;
  group.spawn(step(log, "x", 1h));
  auto scope = co_await timeout(2ms);
  co_await group.join();
}

TEST(TaskGroup, AnInterruptedJoinCancelsAndAwaitsTheChildren) {
  Log log;
  EXPECT_THROW(run(join_under_timeout(log)), TimeoutError);
  EXPECT_EQ(log, Log{"x cancelled"});
}

Task<void> cancelled_child_is_not_a_failure(Log& log) {
  TaskGroup group;
  auto victim = group.spawn(step(log, "victim", 1h));
  group.spawn(step(log, "survivor", 2ms));
  co_await sleep(0s);
  victim.cancel();
  co_await group.join();  // does not throw: a cancellation is not a failure
  log.push_back("joined");
}

TEST(TaskGroup, ACancelledChildDoesNotFailTheGroup) {
  Log log;
  run(cancelled_child_is_not_a_failure(log));
  EXPECT_EQ(log, (Log{"victim cancelled", "survivor", "joined"}));
}

TEST(TaskGroup, DestroyingTheGroupCancelsChildrenStillRunning) {
  Log log;
  {
    TaskGroup group;
    group.spawn(step(log, "orphan", 1h));
    fern::sleep(0s);
  }
  fern::sleep(1ms);
  EXPECT_EQ(log, Log{"orphan cancelled"});
}

}  // namespace
}  // namespace fern::aio
