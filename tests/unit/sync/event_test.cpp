#include "fern/sync/event.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/timeout.hpp"
#include "fern/hub/wait.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

TEST(Event, SetWakesEveryWaiter) {
  Event e;
  int woke = 0;
  std::vector<GreenletRef<>> gs;
  for (int i = 0; i < 5; ++i) gs.push_back(spawn([&] { woke += e.wait() ? 1 : 0; }));
  yield();
  EXPECT_EQ(woke, 0);
  e.set();
  joinall(gs);
  EXPECT_EQ(woke, 5);
  EXPECT_TRUE(e.is_set());
  EXPECT_TRUE(e.wait());  // set: returns at once
}

TEST(Event, WaitTimesOut) {
  Event e;
  EXPECT_FALSE(e.wait(1ms));
  EXPECT_FALSE(e.wait(Duration::zero()));
}

TEST(Event, ClearResetsTheFlag) {
  Event e;
  e.set();
  e.clear();
  EXPECT_FALSE(e.is_set());
  EXPECT_FALSE(e.ready());
  EXPECT_FALSE(e.wait(1ms));
}

TEST(Event, WokenWaiterReportsTheSetEvenIfClearedBeforeItRuns) {
  Event e;
  bool result = false;
  auto g = spawn([&] { result = e.wait(); });
  yield();
  e.set();
  e.clear();
  g->join();
  EXPECT_TRUE(result);
}

TEST(Event, KilledWaiterDoesNotDisturbTheOthers) {
  Event e;
  bool other = false;
  auto killed = spawn([&] { e.wait(); });
  auto waiter = spawn([&] { other = e.wait(); });
  yield();
  killed->kill();
  e.set();
  waiter->join();
  EXPECT_TRUE(other);
  EXPECT_TRUE(killed->killed());
}

TEST(Event, TimeoutScopeRaisesWhileWaiting) {
  Event e;
  Timeout t(1ms);
  EXPECT_THROW(e.wait(), TimeoutError);
}

TEST(Event, WaitOverEventsAndGreenlets) {
  Event first, second;
  auto setter = spawn([&] {
    yield();
    second.set();
  });
  auto worker = spawn([&] {
    first.wait();
    return 7;
  });
  Waitable* objects[] = {&first, &second, worker.get_pointer()};
  std::vector<Waitable*> done = wait(objects, kForever, 1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0], &second);
  first.set();
  done = wait(objects);
  EXPECT_EQ(done.size(), 3u);
  EXPECT_EQ(worker.get(), 7);
  setter->join();
}

TEST(Event, IWaitHandsOutInSetOrder) {
  Event a, b, c;
  auto setter = spawn([&] {
    c.set();
    yield();
    a.set();
    yield();
    b.set();
  });
  Waitable* objects[] = {&a, &b, &c};
  IWait it(objects);
  EXPECT_EQ(it.next(), &c);
  EXPECT_EQ(it.next(), &a);
  EXPECT_EQ(it.next(), &b);
  EXPECT_EQ(it.next(), nullptr);
  setter->join();
}

}  // namespace
}  // namespace fern
