#include "fern/aio/wait.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>

#include "fern/aio/sleep.hpp"

using namespace std::chrono_literals;

namespace fern::aio {
namespace {

Task<int> after(int v, Duration d) {
  co_await sleep(d);
  co_return v;
}

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
  WaitResult r = run(wait({}));
  EXPECT_TRUE(r.done.empty());
  EXPECT_TRUE(r.pending.empty());
}

}  // namespace
}  // namespace fern::aio
