#include "fern/aio/wait.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "fern/aio/sleep.hpp"
#include "value_after.hpp"

using namespace std::chrono_literals;

namespace fern::aio {
namespace {

using test::after;

Task<int> fail_after(Duration d) {
  co_await sleep(d);
  throw std::runtime_error("failed");
}

struct Split {
  std::size_t done;
  std::size_t pending;
};

Task<Split> split(std::vector<TaskHandle<>> tasks, ReturnWhen when, Duration timeout) {
  WaitResult r = co_await wait(tasks, when, timeout);
  Split s{r.done.size(), r.pending.size()};
  for (auto& t : tasks) t.cancel();
  co_return s;
}

TEST(Wait, FirstCompletedReturnsAsSoonAsOneFinishes) {
  auto fast = spawn(after(1, 1ms));
  auto slow = spawn(after(2, 1h));
  Split s = run(split({fast, slow}, ReturnWhen::first_completed, kForever));
  EXPECT_EQ(s.done, 1u);
  EXPECT_EQ(s.pending, 1u);
  EXPECT_TRUE(fast.done());
  slow.join();
  EXPECT_TRUE(slow.cancelled());
}

TEST(Wait, AllCompletedWaitsForEveryOne) {
  auto a = spawn(after(1, 1ms));
  auto b = spawn(after(2, 3ms));
  Split s = run(split({a, b}, ReturnWhen::all_completed, kForever));
  EXPECT_EQ(s.done, 2u);
  EXPECT_EQ(s.pending, 0u);
  EXPECT_EQ(a.get() + b.get(), 3);
}

TEST(Wait, FirstExceptionStopsAtAFailure) {
  auto bad = spawn(fail_after(1ms));
  auto slow = spawn(after(2, 1h));
  Split s = run(split({bad, slow}, ReturnWhen::first_exception, kForever));
  EXPECT_EQ(s.done, 1u);
  EXPECT_EQ(s.pending, 1u);
  EXPECT_THROW(bad.get(), std::runtime_error);
}

TEST(Wait, ATimeoutReturnsWhatIsDoneAndCancelsNothing) {
  auto slow = spawn(after(2, 1h));
  auto quick = spawn(after(1, 0ms));
  WaitResult r = run([](TaskHandle<int> a, TaskHandle<int> b) -> Task<WaitResult> {
    std::vector<TaskHandle<>> both{a, b};
    co_return co_await wait(std::move(both), ReturnWhen::all_completed, 5ms);
  }(slow, quick));
  ASSERT_EQ(r.done.size(), 1u);
  ASSERT_EQ(r.pending.size(), 1u);
  EXPECT_FALSE(slow.done());
  slow.cancel();
  slow.join();
}

TEST(Wait, AnEmptySetIsDoneAtOnce) {
  WaitResult r = run(wait(std::vector<TaskHandle<>>{}));
  EXPECT_TRUE(r.done.empty());
  EXPECT_TRUE(r.pending.empty());
}

// A vector of typed handles is waited on as it is; the values are read from the same handles after.
Task<int> sum_of_typed(std::vector<TaskHandle<int>> handles) {
  WaitResult r = co_await wait(handles, ReturnWhen::all_completed, kForever);
  int sum = static_cast<int>(r.done.size()) * 100;
  for (auto& h : handles) sum += co_await h;
  co_return sum;
}

TEST(Wait, TakesAVectorOfTypedHandles) {
  EXPECT_EQ(run(sum_of_typed({spawn(after(1, 1ms)), spawn(after(2, 0ms))})), 203);
}

// The two documented forms for a choice between awaited values (g++ 12 frees a temporary twice when
// co_await appears inside ?:): await into locals, then choose; or choose with if/else.
Task<std::string> word(std::string w) {
  co_await sleep(0ms);
  co_return w;
}

Task<std::string> choose_after_awaiting(bool first) {
  std::string a = co_await word("alpha");
  std::string b = co_await word("beta");
  co_return first ? a : b;
}

Task<std::string> choose_with_if(bool first) {
  std::string chosen;
  if (first) {
    chosen = co_await word("alpha");
  } else {
    chosen = co_await word("beta");
  }
  co_return chosen;
}

TEST(KnownCompilerTraps, DocumentedFormsForAChoiceBetweenAwaitedValuesWork) {
  EXPECT_EQ(run(choose_after_awaiting(true)), "alpha");
  EXPECT_EQ(run(choose_after_awaiting(false)), "beta");
  EXPECT_EQ(run(choose_with_if(true)), "alpha");
  EXPECT_EQ(run(choose_with_if(false)), "beta");
}

}  // namespace
}  // namespace fern::aio
