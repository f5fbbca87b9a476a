#include "fern/sync/pool.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "fern/base/error.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/timeout.hpp"
#include "fern/sync/event.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

void yield_times(int n) {
  for (int i = 0; i < n; ++i) yield();
}

TEST(Group, SpawnTracksUntilFinishedAndJoinWaits) {
  Group group;
  int done = 0;
  for (int i = 0; i < 5; ++i)
    group.spawn([&, i] {
      yield_times(i);
      ++done;
    });
  EXPECT_EQ(group.size(), 5u);
  EXPECT_TRUE(group.join());
  EXPECT_EQ(done, 5);
  EXPECT_TRUE(group.empty());
}

TEST(Group, JoinTimesOutAndCanRaiseTheFirstError) {
  Group group;
  auto sleeper = group.spawn([] { sleep(1h); });
  EXPECT_FALSE(group.join(1ms));
  EXPECT_FALSE(group.join(Duration::zero()));
  sleeper->kill();
  EXPECT_TRUE(group.join(Duration::zero()));
  group.spawn([] { throw std::runtime_error("worker failed"); });
  group.spawn([] {});
  EXPECT_THROW(group.join(kForever, true), std::runtime_error);
  EXPECT_TRUE(group.empty());
}

TEST(Group, KillEndsEveryMember) {
  Group group;
  std::vector<GreenletRef<>> gs;
  for (int i = 0; i < 4; ++i) gs.push_back(group.spawn([] { sleep(1h); }));
  yield();
  group.kill();
  EXPECT_TRUE(group.empty());
  for (auto& g : gs) EXPECT_TRUE(g->killed());
}

TEST(Group, AddDiscardContains) {
  Group group;
  auto outside = spawn([] { sleep(1h); });
  EXPECT_TRUE(group.add(outside));
  EXPECT_TRUE(group.contains(outside));
  group.discard(outside);
  EXPECT_FALSE(group.contains(outside));
  EXPECT_TRUE(group.join(Duration::zero()));  // no longer waits for it
  group.add(outside);
  group.killone(outside);
  EXPECT_TRUE(outside->killed());
  EXPECT_TRUE(group.empty());
}

TEST(Group, MapRunsEverythingAtOnce) {
  Group group;
  int running = 0, most = 0;
  std::vector<int> items{1, 2, 3, 4, 5, 6};
  auto squares = group.map(
      [&](int x) {
        most = std::max(most, ++running);
        yield_times(7 - x);  // later items finish first
        --running;
        return x * x;
      },
      items);
  EXPECT_EQ(squares, (std::vector<int>{1, 4, 9, 16, 25, 36}));
  EXPECT_EQ(most, 6);
}

// A group keeps no spike-sized table once the spike is over: the buckets of the hash table that
// tracks its members go back when it empties (a server's connections, all closed) or falls to a
// small part of its busiest size (a few connections left).
TEST(Group, GivesItsTableBackOnceItEmpties) {
  Group group;
  Event go;
  for (int i = 0; i < 4096; ++i) group.spawn([&] { go.wait(); });
  yield();  // they all park
  EXPECT_GE(group.bucket_count(), 4096u);
  go.set();
  EXPECT_TRUE(group.join());
  EXPECT_LT(group.bucket_count(), 64u);
  group.spawn([] {});  // and it is a group as before
  EXPECT_EQ(group.size(), 1u);
  EXPECT_TRUE(group.join());
}

TEST(Group, ShrinksItsTableWhenFarBelowItsBusiestSize) {
  Group group;
  Event most_go, rest_go;
  std::vector<GreenletRef<>> most, rest;
  for (int i = 0; i < 4096; ++i) {
    if (i % 64 == 0) {
      rest.push_back(group.spawn([&] { rest_go.wait(); }));
    } else {
      most.push_back(group.spawn([&] { most_go.wait(); }));
    }
  }
  yield();
  const std::size_t busiest = group.bucket_count();
  EXPECT_GE(busiest, 4096u);
  most_go.set();
  joinall(most);
  EXPECT_EQ(group.size(), rest.size());
  EXPECT_LT(group.bucket_count(), busiest / 8);
  for (const GreenletRef<>& g : rest) EXPECT_TRUE(group.contains(g));
  rest_go.set();
  EXPECT_TRUE(group.join());
  EXPECT_TRUE(group.empty());
}

TEST(Pool, CapacityIsNeverExceeded) {
  Pool pool(3);
  int running = 0, most = 0;
  for (int i = 0; i < 10; ++i) {
    pool.spawn([&, i] {
      most = std::max(most, ++running);
      yield_times(1 + i % 4);
      --running;
    });
    EXPECT_LE(pool.size(), 3u);
  }
  EXPECT_TRUE(pool.join());
  EXPECT_EQ(most, 3);
  EXPECT_EQ(pool.free_count(), 3u);
}

TEST(Pool, SpawnParksWhileFull) {
  Pool pool(1);
  auto first = pool.spawn([] { sleep(1h); });
  EXPECT_TRUE(pool.full());
  EXPECT_EQ(pool.free_count(), 0u);
  EXPECT_EQ(pool.wait_available(1ms), 0u);
  bool second_started = false;
  auto spawner = spawn([&] { pool.spawn([&] { second_started = true; }); });
  yield();
  EXPECT_FALSE(spawner->ready());  // parked in pool.spawn
  first->kill();
  spawner->join();
  EXPECT_TRUE(pool.join());
  EXPECT_TRUE(second_started);
  EXPECT_EQ(pool.wait_available(), 1u);
}

TEST(Pool, AddTimesOutWhenFull) {
  Pool pool(1);
  auto inside = pool.spawn([] { sleep(1h); });
  auto outside = spawn([] { sleep(1h); });
  EXPECT_FALSE(pool.add(outside, 1ms));
  EXPECT_FALSE(pool.contains(outside));
  pool.kill();
  EXPECT_TRUE(pool.add(outside, 1ms));
  EXPECT_TRUE(pool.full());
  pool.discard(outside);
  EXPECT_EQ(pool.free_count(), 1u);
  outside->kill();
}

TEST(Pool, ZeroCapacityIsRejected) { EXPECT_THROW(Pool(0), std::invalid_argument); }

TEST(Pool, MapPreservesOrderWithinCapacity) {
  Pool pool(2);
  int running = 0, most = 0;
  std::vector<std::string> words{"a", "bb", "ccc", "dddd", "eeeee"};
  auto lengths = pool.map(
      [&](const std::string& w) {
        most = std::max(most, ++running);
        yield_times(6 - static_cast<int>(w.size()));
        --running;
        return w.size();
      },
      words);
  EXPECT_EQ(lengths, (std::vector<std::size_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(most, 2);
}

TEST(Pool, ImapHandsOutInItemOrderLazily) {
  Pool pool(4);
  std::vector<int> got;
  for (int v : pool.imap(
           [](int x) {
             yield_times(5 - x);
             return x * 10;
           },
           std::vector<int>{0, 1, 2, 3, 4})) {
    got.push_back(v);
  }
  EXPECT_EQ(got, (std::vector<int>{0, 10, 20, 30, 40}));
}

TEST(Pool, ImapUnorderedYieldsInCompletionOrder) {
  Pool pool(5);
  std::vector<int> finished, got;
  auto results = pool.imap_unordered(
      [&](int x) {
        yield_times(5 - x);  // 4 finishes first, 0 last
        finished.push_back(x);
        return x;
      },
      std::vector<int>{0, 1, 2, 3, 4});
  while (auto v = results.next()) got.push_back(*v);
  EXPECT_EQ(got, (std::vector<int>{4, 3, 2, 1, 0}));
  EXPECT_EQ(got, finished);
}

TEST(Pool, ImapRethrowsAFailedItemAndGoesOn) {
  Pool pool(2);
  auto results = pool.imap(
      [](int x) {
        if (x == 1) throw std::runtime_error("one is bad");
        return x;
      },
      std::vector<int>{0, 1, 2});
  EXPECT_EQ(results.next(), 0);
  EXPECT_THROW(results.next(), std::runtime_error);
  EXPECT_EQ(results.next(), 2);
  EXPECT_EQ(results.next(), std::nullopt);
}

TEST(Pool, MapRethrowsAndKillsTheRest) {
  Pool pool(3);
  std::vector<int> items{0, 1, 2, 3, 4, 5};
  EXPECT_THROW(pool.map(
                   [](int x) {
                     if (x == 0) throw std::runtime_error("first fails");
                     sleep(1h);
                     return x;
                   },
                   items),
               std::runtime_error);
  EXPECT_TRUE(pool.join(10s));  // the others were killed, not left sleeping
  EXPECT_EQ(pool.free_count(), 3u);
}

TEST(Pool, DroppingAnImapKillsWhatItDidNotHandOut) {
  Pool pool(2);
  {
    auto results = pool.imap(
        [](int x) {
          if (x > 0) sleep(1h);
          return x;
        },
        std::vector<int>{0, 1, 2, 3});
    EXPECT_EQ(results.next(), 0);
  }
  EXPECT_TRUE(pool.join(10s));
  EXPECT_TRUE(pool.empty());
}

TEST(Pool, MapTimeoutThrowsTimeoutError) {
  Pool pool(2);
  EXPECT_THROW(pool.map(
                   [](int x) {
                     sleep(1h);
                     return x;
                   },
                   std::vector<int>{1, 2, 3}, 1ms),
               TimeoutError);
  EXPECT_TRUE(pool.join(10s));
}

TEST(Pool, KilledWorkerSurfacesAsCancelled) {
  Pool pool(2);
  auto results = pool.imap(
      [](int x) {
        sleep(1h);
        return x;
      },
      std::vector<int>{1});
  yield();
  yield();
  pool.kill();
  try {
    results.next();
    FAIL() << "expected a cancellation";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), Errc::cancelled);
  }
  EXPECT_EQ(results.next(), std::nullopt);
}

TEST(Pool, MapOverAnOwnedRangeOfMoveOnlyItems) {
  Pool pool(2);
  std::vector<std::unique_ptr<int>> items;
  for (int i = 0; i < 4; ++i) items.push_back(std::make_unique<int>(i));
  auto doubled =
      pool.map([](std::unique_ptr<int> p) { return std::make_unique<int>(*p * 2); }, std::move(items));
  ASSERT_EQ(doubled.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(*doubled[i], i * 2);
}

// gevent's apply family. apply() returns the value (or raises) after running in the pool; inside a
// member it runs inline instead of waiting for a slot the caller itself holds.
TEST(Pool, ApplyReturnsTheResultAndRunsInlineInAMember) {
  Pool pool(1);
  EXPECT_EQ(pool.apply([](int a, int b) { return a * b; }, 6, 7), 42);
  EXPECT_THROW(pool.apply([]() -> int { throw std::runtime_error("apply failed"); }), std::runtime_error);
  auto outer = pool.spawn([&] { return pool.apply([] { return std::string("inline"); }); });
  EXPECT_EQ(outer.get(), "inline");  // would wait for itself forever if it took a slot
}

// apply_async never parks the caller: with the pool full it returns at once, and the work runs when
// a slot frees.
TEST(Pool, ApplyAsyncNeverParksTheCaller) {
  Pool pool(1);
  Event release;
  auto holder = pool.spawn([&] { release.wait(); });
  auto queued = pool.apply_async([](int x) { return x + 1; }, 1);  // pool full: must not park here
  EXPECT_TRUE(pool.full());
  EXPECT_FALSE(queued->ready());
  release.set();
  EXPECT_EQ(queued.get(), 2);
  auto direct = pool.apply_async([] { return 3; });  // a free slot: a member at once
  EXPECT_TRUE(pool.contains(direct) || direct->ready());
  EXPECT_EQ(direct.get(), 3);
  holder.get();
}

TEST(Pool, MapAsyncReturnsAGreenletWithTheResultsInOrder) {
  Pool pool(2);
  std::vector<int> items{3, 1, 2};
  auto squares = pool.map_async(
      [](int x) {
        sleep(std::chrono::milliseconds(x));
        return x * x;
      },
      items);
  EXPECT_EQ(squares.get(), (std::vector<int>{9, 1, 4}));
}

// gevent's imap(maxsize=): an unread IMap starts no more than maxsize items; reading frees room.
TEST(Pool, ImapMaxsizeBoundsTheResultsWaitingForTheReader) {
  Pool pool(10);
  int started = 0;
  std::vector<int> items{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  auto results = pool.imap(
      [&](int x) {
        ++started;
        return x * 10;
      },
      items, 2);
  idle();  // everything that could run has run
  EXPECT_EQ(started, 2);
  std::vector<int> got;
  for (int v : results) got.push_back(v);
  EXPECT_EQ(started, 10);
  EXPECT_EQ(got, (std::vector<int>{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}));
}

}  // namespace
}  // namespace fern
