// AsCompleted: tasks handed out in the order they finish; already finished ones first; an empty
// handle at the end; a timeout that hands nothing out loses nothing.
#include "fern/aio/as_completed.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "fern/aio/sleep.hpp"
#include "fern/hub/timeout.hpp"
#include "value_after.hpp"

using namespace std::chrono_literals;

namespace fern::aio {
namespace {

using test::after;

Task<int> fails() {
  co_await sleep(0ms);
  throw std::runtime_error("no value");
}

Task<std::vector<std::string>> in_finishing_order() {
  AsCompleted<int> completed(
      {spawn(after(3, 3ms)), spawn(after(1, 1ms)), spawn(fails()), spawn(after(2, 2ms))});
  std::vector<std::string> seen;
  while (TaskHandle<int> done = co_await completed.next()) {
    try {
      seen.push_back(std::to_string(co_await done));
    } catch (const std::runtime_error& e) {
      seen.push_back(e.what());
    }
  }
  EXPECT_EQ(completed.remaining(), 0u);
  co_return seen;
}

TEST(AsCompleted, HandsTasksOutInTheOrderTheyFinish) {
  EXPECT_EQ(run(in_finishing_order()), (std::vector<std::string>{"no value", "1", "2", "3"}));
}

Task<std::vector<int>> finished_first() {
  auto early = spawn(after(7, 0ms));
  co_await sleep(1ms);  // `early` is done before the AsCompleted exists
  AsCompleted<int> completed({spawn(after(8, 1ms)), early});
  std::vector<int> seen;
  while (TaskHandle<int> done = co_await completed.next()) seen.push_back(co_await done);
  co_return seen;
}

TEST(AsCompleted, TasksAlreadyDoneComeFirst) { EXPECT_EQ(run(finished_first()), (std::vector<int>{7, 8})); }

Task<int> timeout_then_value() {
  AsCompleted<int> completed({spawn(after(5, 5ms))});
  int timeouts = 0;
  try {
    (void)co_await completed.next(1ms);
  } catch (const TimeoutError&) {
    ++timeouts;
  }
  TaskHandle<int> done = co_await completed.next();
  co_return timeouts * 100 + co_await done;
}

TEST(AsCompleted, ATimedOutNextLosesNothing) { EXPECT_EQ(run(timeout_then_value()), 105); }

}  // namespace
}  // namespace fern::aio
