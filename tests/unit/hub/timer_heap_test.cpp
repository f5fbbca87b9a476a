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
      case 1:  // arm or re-arm, often with a deadline equal to another's
        if (t.armed()) model.erase({t.deadline, t.seq});
        heap.arm(t, now + std::chrono::milliseconds(rng() % 40), &noop);
        model.insert({t.deadline, t.seq});
        break;
      case 2:
        if (t.armed()) model.erase({t.deadline, t.seq});
        heap.cancel(t);
        break;
      case 3: {
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
    ASSERT_EQ(heap.next_deadline(), model.empty() ? TimePoint::max() : model.begin()->first);
  }
}

}  // namespace
}  // namespace fern
