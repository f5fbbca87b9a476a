#include "fern/aio/task.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "fern/aio/sleep.hpp"
#include "fern/aio/spawn.hpp"
#include "fern/hub/sleep.hpp"

using namespace std::chrono_literals;

namespace fern::aio {
namespace {

Task<int> answer() { co_return 42; }

Task<int> add_answers() {
  int a = co_await answer();
  int b = co_await answer();
  co_return a + b;
}

Task<void> record(std::vector<std::string>& log, std::string what) {
  log.push_back(what);
  co_return;
}

TEST(Task, IsLazyUntilAwaitedOrSpawned) {
  std::vector<std::string> log;
  Task<void> t = record(log, "ran");
  EXPECT_TRUE(log.empty());
  run(std::move(t));
  EXPECT_EQ(log, std::vector<std::string>{"ran"});
}

TEST(Task, AwaitChainsReturnValues) { EXPECT_EQ(run(add_answers()), 84); }

Task<int> fail_after_await() {
  co_await yield();
  throw std::runtime_error("boom");
}

Task<std::string> catch_child_failure() {
  try {
    co_await fail_after_await();
  } catch (const std::runtime_error& e) {
    co_return e.what();
  }
  co_return "not thrown";
}

TEST(Task, ExceptionsPropagateToTheAwaiter) { EXPECT_EQ(run(catch_child_failure()), "boom"); }

TEST(Task, RunRethrowsTheTaskException) { EXPECT_THROW(run(fail_after_await()), std::runtime_error); }

Task<std::unique_ptr<int>> make_unique_value() { co_return std::make_unique<int>(7); }

TEST(Task, MoveOnlyResults) { EXPECT_EQ(*run(make_unique_value()), 7); }

// Nested awaits hand control down and back by symmetric transfer. (Optimised builds turn each
// transfer into a tail call; -O0 builds do not, so the depth here stays modest.)
Task<int> depth(int n) {
  if (n == 0) co_return 0;
  co_return 1 + co_await depth(n - 1);
}

TEST(Task, NestedAwaitChainsUnwindInOrder) { EXPECT_EQ(run(depth(500)), 500); }

TEST(Task, DestroyingAnUnstartedTaskRunsNothing) {
  std::vector<std::string> log;
  { Task<void> t = record(log, "ran"); }
  EXPECT_TRUE(log.empty());
}

// Tasks run in the hub: the greenlet-blocking API refuses to park there.
Task<int> call_greenlet_sleep() {
  try {
    fern::sleep(1ms);
  } catch (const std::system_error& e) {
    co_return e.code() == make_error_code(Errc::not_in_greenlet) ? 1 : 2;
  }
  co_return 0;
}

TEST(Task, GreenletBlockingCallsAreRefusedInsideATask) { EXPECT_EQ(run(call_greenlet_sleep()), 1); }

}  // namespace
}  // namespace fern::aio
