#include "fern/hub/wait_queue.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

TEST(WaitQueue, NotifyOneIsFifo) {
  WaitQueue q;
  std::vector<int> woke;
  std::vector<GreenletRef<>> gs;
  for (int i = 0; i < 3; ++i)
    gs.push_back(spawn([&, i] {
      q.wait();
      woke.push_back(i);
    }));
  sleep(0ms);
  EXPECT_EQ(q.size(), 3u);
  q.notify_one();
  q.notify_one();
  q.notify_one();
  joinall(gs);
  EXPECT_EQ(woke, (std::vector<int>{0, 1, 2}));
}

TEST(WaitQueue, TimeoutReturnsFalse) {
  WaitQueue q;
  auto keep_hub_busy = spawn([] { sleep(50ms); });
  EXPECT_FALSE(q.wait_for(1ms));
  EXPECT_TRUE(q.empty());
  keep_hub_busy->kill();
}

TEST(WaitQueue, NotifiedThenKilledPassesTheNotificationOn) {
  WaitQueue q;
  bool second_woke = false;
  auto first = spawn([&] { q.wait(); });
  auto second = spawn([&] {
    q.wait();
    second_woke = true;
  });
  sleep(0ms);
  q.notify_one();               // meant for `first`...
  first->kill(nullptr, false);  // ...which is killed before it runs
  joinall({first, second}, 1s);
  EXPECT_TRUE(first->killed());
  EXPECT_TRUE(second_woke);
}

}  // namespace
}  // namespace fern
