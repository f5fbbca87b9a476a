#include "fern/hub/spawn.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fern/hub/error_report.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/timeout.hpp"
#include "fern/hub/wait_queue.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

// L2: foo sleeps longest, bar less, func least; they wake in deadline order and all finish in
// about the longest sleep (scaled down from the seed's 5 s / 2 s / 0.5 s).
TEST(Spawn, SeedLessonL2WakesInDeadlineOrder) {
  std::vector<std::string> log;
  auto task = [&](std::string name, Duration d) {
    log.push_back(name + " start");
    sleep(d);
    log.push_back(name + " end");
  };
  auto t0 = Clock::now();
  joinall({spawn(task, "foo", 50ms), spawn(task, "bar", 20ms), spawn(task, "func", 5ms)});
  auto elapsed = Clock::now() - t0;
  EXPECT_EQ(log, (std::vector<std::string>{"foo start", "bar start", "func start", "func end", "bar end",
                                           "foo end"}));
  EXPECT_GE(elapsed, 50ms);  // never early; how late is a benchmark's business
}

TEST(Spawn, GetReturnsResultOrRethrows) {
  auto ok = spawn([](int a, int b) { return a + b; }, 2, 3);
  EXPECT_EQ(ok.get(), 5);
  EXPECT_TRUE(ok->successful());
  auto bad = spawn([]() -> int { throw std::runtime_error("nope"); });
  EXPECT_THROW(bad.get(), std::runtime_error);
  EXPECT_FALSE(bad->successful());
  EXPECT_TRUE(bad->ready());
}

TEST(Spawn, JoinWithTimeoutReturnsFalseWhileRunning) {
  auto g = spawn([] { sleep(1h); });
  EXPECT_FALSE(g->join(1ms));
  g->kill();
  EXPECT_TRUE(g->ready());
  EXPECT_TRUE(g->killed());
}

TEST(Spawn, GetTimesOut) {
  auto g = spawn([] {
    sleep(1h);
    return 1;
  });
  EXPECT_THROW(g.get(1ms), TimeoutError);
  g->kill();
  EXPECT_THROW(g.get(), GreenletExit);
}

TEST(Spawn, KillBeforeStartNeverRuns) {
  bool ran = false;
  auto g = spawn([&] { ran = true; });
  g->kill();
  EXPECT_TRUE(g->ready());
  sleep(0ms);
  EXPECT_FALSE(ran);
}

// Killed before the hub ever ran it, then the hub goes away (its thread exits) without reaching the
// greenlet's ready-queue entry: the greenlet and everything its function holds are still freed.
TEST(Spawn, KillBeforeStartThenHubGoneFreesTheGreenlet) {
  auto held = std::make_shared<int>(0);  // the greenlet's function holds a copy until freed
  std::thread([held] {
    GreenletRef<> g = spawn([held] {});
    g->kill();
    EXPECT_TRUE(g->dead());
  }).join();
  EXPECT_EQ(held.use_count(), 1);
}

TEST(Spawn, KillWithCustomException) {
  auto g = spawn([] { sleep(1h); });
  sleep(0ms);
  g->kill(std::make_exception_ptr(std::logic_error("stop")));
  EXPECT_THROW(g.get(), std::logic_error);
}

TEST(Spawn, KillUnwindsTheStack) {
  bool unwound = false;
  struct Flag {
    bool* f;
    ~Flag() { *f = true; }
  };
  auto g = spawn([&] {
    Flag flag{&unwound};
    sleep(1h);
  });
  sleep(0ms);
  EXPECT_FALSE(unwound);
  g->kill();
  EXPECT_TRUE(unwound);
}

TEST(Spawn, LinksRunAfterFinish) {
  std::vector<std::string> seen;
  auto ok = spawn([] { return 1; });
  auto bad = spawn([] { throw std::runtime_error("x"); });
  ok->link([&](GreenletRef<>) { seen.push_back("ok any"); });
  ok->link_value([&](GreenletRef<>) { seen.push_back("ok value"); });
  ok->link_exception([&](GreenletRef<>) { seen.push_back("ok exception"); });
  bad->link_exception([&](GreenletRef<> g) { seen.push_back(g->exception() ? "bad exception" : "?"); });
  auto removed = bad->link([&](GreenletRef<>) { seen.push_back("unlinked"); });
  bad->unlink(removed);
  joinall({ok, bad});
  sleep(0ms);  // links run in the hub soon after
  EXPECT_EQ(seen, (std::vector<std::string>{"ok any", "ok value", "bad exception"}));
}

TEST(Spawn, JoinallRaiseError) {
  auto a = spawn([] { sleep(1ms); });
  auto b = spawn([] { throw std::runtime_error("b failed"); });
  EXPECT_THROW(joinall({a, b}, kForever, true), std::runtime_error);
  std::vector<GreenletRef<>> both{a, b};
  EXPECT_EQ(joinall(both).size(), 2u);
}

TEST(Spawn, JoinallTimeoutReturnsFinishedOnes) {
  auto quick = spawn([] {});
  auto slow = spawn([] { sleep(1h); });
  auto done = joinall({quick, slow}, 5ms);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].get_pointer(), quick.get_pointer());
  std::vector<GreenletRef<>> all{quick, slow};
  killall(all);
  EXPECT_TRUE(slow->ready());
}

TEST(Spawn, SpawnLaterStartsAfterDelay) {
  auto t0 = Clock::now();
  auto g = spawn_later(10ms, [&] { return Clock::now() - t0; });
  EXPECT_GE(g.get(), 10ms);
}

TEST(Spawn, KillSpawnLaterBeforeItStarts) {
  bool ran = false;
  auto g = spawn_later(1h, [&] { ran = true; });
  g->kill();
  EXPECT_TRUE(g->ready());
  EXPECT_FALSE(ran);
}

TEST(Spawn, NamesAreKept) {
  auto g = spawn_with(SpawnOptions{"worker-7"}, [] { return current_spawned()->name(); });
  EXPECT_EQ(g.get(), "worker-7");
  EXPECT_EQ(g->name(), "worker-7");
}

TEST(Spawn, DroppedRefStillRuns) {
  int ran = 0;
  spawn([&] { ++ran; });
  sleep(1ms);
  EXPECT_EQ(ran, 1);
}

TEST(Spawn, HundredThousandSleepersWakeInDeadlineOrder) {
  constexpr int kCount = 100000;
  std::vector<int> order;
  order.reserve(kCount);
  std::vector<GreenletRef<>> gs;
  gs.reserve(kCount);
  WaitQueue start;
  TimePoint base;
  // Deadlines interleave with spawn order: greenlet i wakes (i * 7919 % kCount) microseconds after
  // a common base, set once all of them are parked.
  for (int i = 0; i < kCount; ++i) {
    int slot = static_cast<int>((static_cast<long>(i) * 7919) % kCount);
    gs.push_back(spawn_with(SpawnOptions{"", GreenletOptions{context::kDefaultStackSize, StackMode::dense}},
                            [&, slot] {
                              start.wait();
                              sleep_until(base + std::chrono::microseconds(slot));
                              order.push_back(slot);
                            }));
  }
  sleep(0ms);
  ASSERT_EQ(start.size(), static_cast<std::size_t>(kCount));
  base = Clock::now() + 500ms;
  start.notify_all();
  joinall(gs);
  ASSERT_EQ(order.size(), static_cast<std::size_t>(kCount));
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
}

TEST(Spawn, WaitingForeverRaisesLoopExit) {
  WaitQueue nobody_notifies;
  EXPECT_THROW(nobody_notifies.wait(), LoopExit);
}

TEST(Spawn, GreenletCannotJoinItself) {
  GreenletRef<> self;
  auto g = spawn([&] { self->join(); });
  self = g;
  EXPECT_THROW(g.get(), std::system_error);
}

SpawnOptions dense_options() {
  return SpawnOptions{"", GreenletOptions{context::kDenseStackSize, StackMode::dense}};
}

bool lies_in_own_stack(const HubGreenlet& g) {
  const auto* object = reinterpret_cast<const char*>(static_cast<const Greenlet*>(&g));
  return g.stack().dense && object >= g.stack().top() && object < g.stack().base + context::kDenseStackSize;
}

TEST(Spawn, DenseGreenletLivesInItsOwnStackAndOutlivesItsRun) {
  auto g = spawn_with(
      dense_options(), [](int x) { return x * 2; }, 21);
  EXPECT_TRUE(lies_in_own_stack(*g));
  EXPECT_EQ(g.get(), 42);
  EXPECT_TRUE(g->dead());
  sleep(1ms);  // the hub drops the greenlet's reference to itself; ours keeps the object
  EXPECT_TRUE(lies_in_own_stack(*g));
  EXPECT_TRUE(g->successful());
  EXPECT_EQ(g.get(), 42);
}

TEST(Spawn, DenseGreenletsParkKillAndRaise) {
  std::vector<GreenletRef<>> parked;
  int unwound = 0;
  for (int i = 0; i < 2000; ++i) {
    parked.push_back(spawn_with(dense_options(), [&unwound] {
      try {
        sleep(10s);
      } catch (const GreenletExit&) {
        ++unwound;
        throw;
      }
    }));
  }
  sleep(1ms);
  killall(parked);
  EXPECT_EQ(unwound, 2000);
  for (const GreenletRef<>& g : parked) EXPECT_TRUE(g->killed());
  auto failing = spawn_with(dense_options(), [] { throw std::runtime_error("dense boom"); });
  EXPECT_THROW(failing.get(), std::runtime_error);
}

TEST(Spawn, DroppedDenseRefStillRuns) {
  int ran = 0;
  spawn_with(dense_options(), [&] { ++ran; });
  sleep(1ms);
  EXPECT_EQ(ran, 1);
}

}  // namespace
}  // namespace fern

namespace fern {
namespace {

TEST(Spawn, MoveOnlyArgumentsMoveIntoTheGreenlet) {
  auto owner = spawn([](std::unique_ptr<int> p) { return *p + 1; }, std::make_unique<int>(41));
  EXPECT_EQ(owner.get(), 42);
}

// joinall and killall take whatever container the caller built: typed references in a vector or an
// array, untyped ones, or a braced list mixing result types.
TEST(Spawn, JoinallAndKillallTakeAnyRangeOfTypedRefs) {
  std::vector<GreenletRef<int>> squares;
  for (int i = 0; i < 4; ++i) squares.push_back(spawn([i] { return i * i; }));
  EXPECT_EQ(joinall(squares).size(), 4u);
  EXPECT_EQ(squares[3].get(), 9);
  std::array<GreenletRef<std::string>, 2> sleepers{spawn([] {
                                                     sleep(1h);
                                                     return std::string("a");
                                                   }),
                                                   spawn([] {
                                                     sleep(1h);
                                                     return std::string("b");
                                                   })};
  killall(sleepers);
  EXPECT_TRUE(sleepers[0]->killed() && sleepers[1]->killed());
  auto mixed = joinall({squares[0], sleepers[1], spawn([] {})});
  EXPECT_EQ(mixed.size(), 3u);
}

// A move-only result is moved out by get() on an rvalue reference.
TEST(Spawn, GetMovesAMoveOnlyResultOut) {
  std::unique_ptr<int> direct = spawn([] { return std::make_unique<int>(5); }).get();
  ASSERT_TRUE(direct);
  EXPECT_EQ(*direct, 5);
  auto g = spawn([] { return std::make_unique<std::string>("moved"); });
  std::unique_ptr<std::string> out = std::move(g).get();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, "moved");
}

// Link callbacks on a typed reference receive it typed, so they can read the value.
TEST(Spawn, TypedLinkCallbacksReadTheValue) {
  auto g = spawn([] { return 21; });
  int seen = 0;
  bool failure_seen = false;
  g.link_value([&](GreenletRef<int> done) { seen = done.get() * 2; });
  g.link_exception([&](GreenletRef<int>) { failure_seen = true; });
  g.get();
  sleep(0ms);  // links run on the hub's next turn
  EXPECT_EQ(seen, 42);
  EXPECT_FALSE(failure_seen);
  auto failing = spawn([]() -> int { throw std::runtime_error("no value"); });
  std::string what;
  failing.link([&](GreenletRef<int> done) {
    try {
      done.get();
    } catch (const std::runtime_error& e) {
      what = e.what();
    }
  });
  failing->join();
  sleep(0ms);
  EXPECT_EQ(what, "no value");
}

// gevent's joinall(count=): returns once that many have finished, in finishing order.
TEST(Spawn, JoinallWithACountReturnsTheFirstToFinish) {
  WaitQueue go;
  auto slow = spawn([&] { go.wait(); });
  auto fast = spawn([] { return 1; });
  auto also_fast = spawn([] { return 2; });
  auto done = joinall({slow, fast, also_fast}, kForever, false, 2);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0], GreenletRef<>(fast));
  EXPECT_EQ(done[1], GreenletRef<>(also_fast));
  EXPECT_FALSE(slow->ready());
  auto failing = spawn([]() -> int { throw std::runtime_error("first to fail"); });
  EXPECT_THROW(joinall({slow, failing}, kForever, true, 1), std::runtime_error);
  go.notify_all();
  slow->join();
}

// A failure is reported to the hub's error handler unless the spawner asked to hand it on itself.
TEST(Spawn, ReportFailureOffKeepsAFailureOutOfTheErrorHandler) {
  int reports = 0;
  ErrorHandler previous = Hub::current().set_error_handler([&](const ErrorReport&) { ++reports; });
  auto reported = spawn([]() -> int { throw std::runtime_error("reported"); });
  SpawnOptions quiet;
  quiet.report_failure = false;
  auto handed_on = spawn_with(quiet, []() -> int { throw std::runtime_error("handed on"); });
  reported->join();
  handed_on->join();
  Hub::current().set_error_handler(previous);
  EXPECT_EQ(reports, 1);
  EXPECT_THROW(handed_on.get(), std::runtime_error);  // still kept for whoever joins it
}

}  // namespace
}  // namespace fern
