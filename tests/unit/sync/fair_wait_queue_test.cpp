#include "fern/sync/fair_wait_queue.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <system_error>
#include <vector>

#include "fern/base/error.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/timeout.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

TEST(FairWaitQueue, NotifyReservesForTheLongestWaiters) {
  FairWaitQueue q;
  std::vector<int> woke;
  std::vector<GreenletRef<>> gs;
  for (int i = 0; i < 3; ++i)
    gs.push_back(spawn([&, i] {
      if (q.wait()) woke.push_back(i);
    }));
  yield();
  EXPECT_EQ(q.waiting(), 3u);
  EXPECT_TRUE(q.notify_one());
  EXPECT_TRUE(q.notify_one());
  EXPECT_EQ(q.reserved(), 2u);
  EXPECT_TRUE(q.has_waiters());  // the third is not notified
  yield();
  EXPECT_EQ(woke, (std::vector<int>{0, 1}));
  EXPECT_EQ(q.reserved(), 0u);
  EXPECT_EQ(q.waiting(), 1u);
  EXPECT_TRUE(q.notify_one());
  joinall(gs);
  EXPECT_EQ(woke, (std::vector<int>{0, 1, 2}));
  EXPECT_FALSE(q.notify_one());
  EXPECT_EQ(q.reserved(), 0u);
}

TEST(FairWaitQueue, NotifiedThenKilledPassesTheReservationOn) {
  FairWaitQueue q;
  bool second_woke = false;
  auto first = spawn([&] { q.wait(); });
  auto second = spawn([&] { second_woke = q.wait(); });
  yield();
  q.notify_one();               // reserved for `first`...
  first->kill(nullptr, false);  // ...which is killed before it runs
  joinall({first, second});
  EXPECT_TRUE(first->killed());
  EXPECT_TRUE(second_woke);
  EXPECT_EQ(q.reserved(), 0u);
  EXPECT_EQ(q.waiting(), 0u);
}

TEST(FairWaitQueue, NotifiedThenKilledWithNobodyLeftDropsTheReservation) {
  FairWaitQueue q;
  auto only = spawn([&] { q.wait(); });
  yield();
  q.notify_one();
  EXPECT_EQ(q.reserved(), 1u);
  only->kill();
  EXPECT_EQ(q.reserved(), 0u);
  EXPECT_EQ(q.waiting(), 0u);
}

TEST(FairWaitQueue, TimeoutScopeWhileWaitingLeavesCleanly) {
  FairWaitQueue q;
  auto g = spawn([&] {
    Timeout t(1ms);
    q.wait();
  });
  g->join();
  EXPECT_THROW(g.get(), TimeoutError);
  EXPECT_EQ(q.waiting(), 0u);
  EXPECT_FALSE(q.notify_one());
}

TEST(FairWaitQueue, DeadlineReturnsFalse) {
  FairWaitQueue q;
  EXPECT_FALSE(q.wait_for(1ms));
  EXPECT_EQ(q.waiting(), 0u);
  EXPECT_EQ(q.reserved(), 0u);
}

TEST(FairWaitQueue, PastDeadlineNeverParks) {
  FairWaitQueue q;
  bool other_ran = false;
  auto g = spawn([&] { other_ran = true; });
  EXPECT_FALSE(q.wait(Clock::now()));
  EXPECT_FALSE(other_ran);  // we did not yield to it
  g->join();
  EXPECT_TRUE(other_ran);
}

TEST(FairWaitQueue, DestroyedWhileWaitingRaisesClosed) {
  auto q = std::make_unique<FairWaitQueue>();
  std::error_code errors[2];
  auto waiter = [&](int i) {
    try {
      q->wait();
    } catch (const std::system_error& e) {
      errors[i] = e.code();
    }
  };
  auto notified = spawn(waiter, 0);
  auto parked = spawn(waiter, 1);
  yield();
  q->notify_one();  // `notified` is woken, not run yet; `parked` still waits
  q.reset();        // both must learn the queue is gone, neither may touch it
  joinall({notified, parked});
  EXPECT_EQ(errors[0], Errc::closed);
  EXPECT_EQ(errors[1], Errc::closed);
}

}  // namespace
}  // namespace fern
