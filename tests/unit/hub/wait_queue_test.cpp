#include "fern/hub/wait_queue.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <vector>

#include "fern/base/error.hpp"
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

namespace fern {
namespace {

TEST(WaitQueue, DestroyedWhileNotifiedGreenletIsKilled) {
  auto q = std::make_unique<WaitQueue>();
  auto g = spawn([&] { q->wait(); });
  sleep(0ms);
  q->notify_one();
  g->kill(nullptr, false);  // it will unwind after the queue is gone
  q.reset();
  EXPECT_TRUE(g->join(1s));
}

TEST(WaitQueue, DestroyedWhileGreenletsWaitFailsThemWithClosed) {
  auto q = std::make_unique<WaitQueue>();
  auto g = spawn([&] {
    try {
      q->wait();
    } catch (const std::system_error& e) {
      return e.code() == Errc::closed;
    }
    return false;
  });
  sleep(0ms);
  q.reset();
  EXPECT_TRUE(g.get());
}

}  // namespace
}  // namespace fern
