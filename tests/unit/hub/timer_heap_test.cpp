#include "fern/hub/timer_heap.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <utility>
#include <vector>

namespace fern {
namespace {

void noop(Timer&) {}

TEST(TimerHeap, PopsInDeadlineThenArmingOrder) {
  TimerHeap heap;
  std::vector<Timer> timers(1000);
  std::mt19937 rng(7);
  TimePoint base{};
  for (auto& t : timers) heap.arm(t, base + std::chrono::milliseconds(rng() % 50), &noop);
  // Cancel a third of them from the middle of the heap.
  for (std::size_t i = 0; i < timers.size(); i += 3) heap.cancel(timers[i]);
  std::vector<const Timer*> popped;
  while (Timer* t = heap.pop_expired(TimePoint::max())) popped.push_back(t);
  EXPECT_EQ(popped.size(), timers.size() - (timers.size() + 2) / 3);
  for (std::size_t i = 1; i < popped.size(); ++i) {
    bool ordered = popped[i - 1]->deadline < popped[i]->deadline ||
                   (popped[i - 1]->deadline == popped[i]->deadline && popped[i - 1]->seq < popped[i]->seq);
    EXPECT_TRUE(ordered);
  }
  for (auto& t : timers) EXPECT_FALSE(t.armed());
}

TEST(TimerHeap, OnlyExpiredArePopped) {
  TimerHeap heap;
  Timer a, b;
  TimePoint base{};
  heap.arm(a, base + std::chrono::seconds(1), &noop);
  heap.arm(b, base + std::chrono::seconds(2), &noop);
  EXPECT_EQ(heap.pop_expired(base), nullptr);
  EXPECT_EQ(heap.pop_expired(base + std::chrono::seconds(1)), &a);
  EXPECT_EQ(heap.next_deadline(), base + std::chrono::seconds(2));
  heap.arm(b, base, &noop);  // re-arming moves it
  EXPECT_EQ(heap.pop_expired(base), &b);
  EXPECT_TRUE(heap.empty());
}

// Arms, re-arms, cancels and pops in random interleavings against an ordered set of (deadline,
// arming order): every pop must be the set's first element, whatever sifts the heap did before.
TEST(TimerHeap, MatchesAnOrderedSetUnderRandomArmsCancelsAndPops) {
  TimerHeap heap;
  std::vector<Timer> timers(300);
  std::set<std::pair<TimePoint, std::uint64_t>> model;
  std::mt19937 rng(11);
  TimePoint base{};
  TimePoint now = base;
  for (int step = 0; step < 20000; ++step) {
    Timer& t = timers[rng() % timers.size()];
    switch (rng() % 4) {
      case 0:
      case 1: {  // arm or re-arm, on the heap or after the poll, often at another's deadline
        if (t.armed()) model.erase({t.deadline, t.seq});
        TimePoint deadline = now + std::chrono::milliseconds(rng() % 40);
        if (rng() % 2) {
          heap.arm(t, deadline, &noop);
        } else {
          heap.arm_after_poll(t, deadline, &noop);
        }
        model.insert({t.deadline, t.seq});
        break;
      }
      case 2:
        if (t.armed()) model.erase({t.deadline, t.seq});
        heap.cancel(t);
        break;
      case 3: {
        if (rng() % 2) heap.settle();
        now += std::chrono::milliseconds(rng() % 3);
        while (Timer* popped = heap.pop_expired(now)) {
          ASSERT_FALSE(model.empty());
          EXPECT_EQ(std::make_pair(popped->deadline, popped->seq), *model.begin());
          EXPECT_FALSE(popped->armed());
          model.erase(model.begin());
        }
        EXPECT_TRUE(model.empty() || model.begin()->first > now);
        break;
      }
    }
    ASSERT_EQ(heap.size(), model.size());
    ASSERT_EQ(heap.empty(), model.empty());
    // A timer cancelled off the waiting list may leave next_deadline early, never late.
    if (!model.empty()) {
      ASSERT_LE(heap.next_deadline(), model.begin()->first);
    }
  }
}

TEST(TimerHeap, ATimerArmedAfterThePollCountsAtOnceAndJoinsTheHeapOnSettle) {
  TimerHeap heap;
  Timer early, late, dropped;
  TimePoint base{};
  heap.arm(late, base + std::chrono::seconds(5), &noop);
  heap.arm_after_poll(early, base + std::chrono::seconds(1), &noop);
  heap.arm_after_poll(dropped, base + std::chrono::seconds(2), &noop);
  EXPECT_TRUE(early.armed());
  EXPECT_TRUE(early.waiting_for_poll());
  EXPECT_EQ(heap.size(), 3u);
  EXPECT_EQ(heap.next_deadline(), base + std::chrono::seconds(1));
  heap.cancel(dropped);  // an unlink: it never reaches the heap
  EXPECT_FALSE(dropped.armed());
  heap.settle();
  EXPECT_FALSE(early.waiting_for_poll());
  EXPECT_TRUE(early.armed());
  EXPECT_EQ(heap.size(), 2u);
  EXPECT_EQ(heap.pop_expired(base + std::chrono::seconds(1)), &early);
  // A due timer is popped even before its settle.
  heap.arm_after_poll(dropped, base + std::chrono::seconds(3), &noop);
  EXPECT_EQ(heap.pop_expired(base + std::chrono::seconds(3)), &dropped);
  EXPECT_FALSE(dropped.armed());
  EXPECT_EQ(heap.pop_expired(base + std::chrono::seconds(9)), &late);
  EXPECT_TRUE(heap.empty());
}

}  // namespace
}  // namespace fern
