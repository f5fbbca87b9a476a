#include "fern/hub/timer_heap.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
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

}  // namespace
}  // namespace fern
