#include "fern/aio/gather.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "fern/aio/sleep.hpp"
#include "fern/aio/timeout.hpp"
#include "fern/hub/timeout.hpp"

using namespace std::chrono_literals;

namespace fern::aio {
namespace {

using Log = std::vector<std::string>;

Task<int> after(Log& log, int v, Duration d) {
  co_await sleep(d);
  log.push_back(std::to_string(v));
  co_return v;
}

Task<void> nothing(Log& log) {
  log.push_back("void");
  co_return;
}

Task<void> guarded_sleep(Log& log, std::string name) {
  try {
    co_await sleep(1h);
  } catch (const CancelledError&) {
    log.push_back(name + " cancelled");
    throw;
  }
}

Task<void> fail_soon(Log& log) {
  co_await sleep(1ms);
  log.push_back("failing");
  throw std::runtime_error("first failure");
}

TEST(Gather, ResultsComeInArgumentOrderNotCompletionOrder) {
  Log log;
  auto [a, b, c] = run(gather(after(log, 1, 20ms), after(log, 2, 1ms), nothing(log)));
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 2);
  EXPECT_EQ(c, std::monostate{});
  EXPECT_EQ(log, (Log{"void", "2", "1"}));
}

TEST(Gather, GatherAllCollectsAVector) {
  Log log;
  std::vector<Task<int>> tasks;
  for (int i = 0; i < 5; ++i) tasks.push_back(after(log, i, std::chrono::milliseconds(5 - i)));
  EXPECT_EQ(run(gather_all(std::move(tasks))), (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(Gather, TheFirstFailureCancelsTheOthersAndIsRethrown) {
  Log log;
  EXPECT_THROW(run(gather(guarded_sleep(log, "x"), fail_soon(log), guarded_sleep(log, "y"))),
               std::runtime_error);
  EXPECT_EQ(log, (Log{"failing", "x cancelled", "y cancelled"}));
}

Task<void> gather_under_timeout(Log& log) {
  auto scope = co_await timeout(5ms);
  co_await gather(guarded_sleep(log, "x"), guarded_sleep(log, "y"));
}

TEST(Gather, AnInterruptedGatherCancelsAndAwaitsItsTasks) {
  Log log;
  EXPECT_THROW(run(gather_under_timeout(log)), TimeoutError);
  // Both were unwound before the timeout reached the caller.
  EXPECT_EQ(log, (Log{"x cancelled", "y cancelled"}));
}

// return_exceptions=True: a failure is a value in its place and cancels nobody.
Task<int> fail_after(Log& log, Duration d) {
  co_await sleep(d);
  log.push_back("failed");
  throw std::runtime_error("task failed");
}

Task<std::string> settled_pair(Log& log) {
  auto [a, b, c] = co_await gather_settled(fail_after(log, 0ms), after(log, 2, 2ms), nothing(log));
  std::string out = a.ok() ? "a ok" : "a failed";
  out += " b=" + std::to_string(b.value());
  out += c.ok() ? " c ok" : " c failed";
  try {
    (void)a.value();
  } catch (const std::runtime_error& e) {
    out += std::string(" (") + e.what() + ")";
  }
  co_return out;
}

TEST(Gather, SettledKeepsFailuresAsValuesAndCancelsNothing) {
  Log log;
  EXPECT_EQ(run(settled_pair(log)), "a failed b=2 c ok (task failed)");
  EXPECT_EQ(log, (Log{"void", "failed", "2"}));  // the slower task ran to its end
}

Task<std::size_t> settled_all_failures(Log& log) {
  std::vector<Task<int>> tasks;
  tasks.push_back(after(log, 1, 1ms));
  tasks.push_back(fail_after(log, 0ms));
  tasks.push_back(after(log, 3, 0ms));
  auto results = co_await gather_all_settled(std::move(tasks));
  std::size_t failures = 0;
  for (const auto& r : results) failures += r.ok() ? 0 : 1;
  co_return failures * 100 + static_cast<std::size_t>(results[0].value() + results[2].value());
}

TEST(Gather, AllSettledReturnsEveryOutcomeInOrder) {
  Log log;
  EXPECT_EQ(run(settled_all_failures(log)), 104u);
}

}  // namespace
}  // namespace fern::aio
