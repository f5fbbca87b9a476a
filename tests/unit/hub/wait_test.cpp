#include "fern/hub/wait.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

TEST(Wait, ReturnsWhenCountAreReady) {
  auto fast = spawn([] { sleep(1ms); });
  auto slow = spawn([] { sleep(1h); });
  auto done = wait({fast.get_pointer(), slow.get_pointer()}, kForever, 1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0], static_cast<Waitable*>(fast.get_pointer()));
  slow->kill();
}

TEST(Wait, TimeoutReturnsWhatIsReady) {
  auto slow = spawn([] { sleep(1h); });
  auto ready = spawn([] {});
  sleep(0ms);
  auto done = wait({slow.get_pointer(), ready.get_pointer()}, 2ms);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0], static_cast<Waitable*>(ready.get_pointer()));
  slow->kill();
}

// The order comes from which greenlet finishes first, made certain by a wait queue each one parks
// on, woken in turn; no clock decides it.
TEST(IWait, YieldsInCompletionOrder) {
  WaitQueue go_first, go_second, go_third;
  auto third = spawn([&] { go_third.wait(); });
  auto first = spawn([&] { go_first.wait(); });
  auto second = spawn([&] { go_second.wait(); });
  yield();  // all three are parked
  spawn([&] {
    for (WaitQueue* q : {&go_first, &go_second, &go_third}) {
      q->notify_all();
      yield();
      yield();
    }
  });
  Waitable* objs[] = {third.get_pointer(), first.get_pointer(), second.get_pointer()};
  IWait it(objs);
  EXPECT_EQ(it.next(), static_cast<Waitable*>(first.get_pointer()));
  EXPECT_EQ(it.next(), static_cast<Waitable*>(second.get_pointer()));
  EXPECT_EQ(it.next(), static_cast<Waitable*>(third.get_pointer()));
  EXPECT_EQ(it.next(), nullptr);
}

// The references themselves, typed or not, by value or as the greenlet, in a list or a vector.
TEST(Wait, TakesGreenletRefsOfAnyTypeAsTheyAre) {
  auto fast = spawn([] { return 1; });
  auto slow = spawn([] { sleep(1h); });
  auto done = wait({fast, slow}, kForever, 1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0], static_cast<Waitable*>(fast.get_pointer()));
  std::vector<GreenletRef<int>> typed{fast, spawn([] { return 2; })};
  EXPECT_EQ(wait(typed).size(), 2u);
  EXPECT_EQ(wait({*slow}, 1ms).size(), 0u);
  slow->kill();
}

}  // namespace
}  // namespace fern
