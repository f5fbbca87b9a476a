#include "fern/sync/queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "fern/base/error.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/timeout.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

template <class Q>
std::vector<int> drain(Q& q) {
  std::vector<int> out;
  while (!q.empty()) out.push_back(q.get());
  return out;
}

TEST(Queue, OrderOfEachKind) {
  Queue<int> fifo;
  LifoQueue<int> lifo;
  PriorityQueue<int> smallest_first;
  PriorityQueue<int, std::greater<int>> largest_first;
  for (int v : {3, 1, 4, 1, 5}) {
    fifo.put(v);
    lifo.put(v);
    smallest_first.put(v);
    largest_first.put(v);
  }
  EXPECT_EQ(drain(fifo), (std::vector<int>{3, 1, 4, 1, 5}));
  EXPECT_EQ(drain(lifo), (std::vector<int>{5, 1, 4, 1, 3}));
  EXPECT_EQ(drain(smallest_first), (std::vector<int>{1, 1, 3, 4, 5}));
  EXPECT_EQ(drain(largest_first), (std::vector<int>{5, 4, 3, 1, 1}));
}

TEST(Queue, GetParksUntilPut) {
  Queue<std::string> q;
  std::string got;
  auto g = spawn([&] { got = q.get(); });
  yield();
  EXPECT_EQ(q.getters_waiting(), 1u);
  q.put("item");
  g->join();
  EXPECT_EQ(got, "item");
  EXPECT_TRUE(q.empty());
}

TEST(Queue, GetTimeoutThrowsEmptyAndLosesNothing) {
  Queue<int> q;
  try {
    q.get(1ms);
    FAIL() << "expected QueueEmpty";
  } catch (const QueueEmpty& e) {
    EXPECT_EQ(e.code(), Errc::timed_out);
  }
  EXPECT_EQ(q.getters_waiting(), 0u);
  q.put(1);
  auto g = spawn([&] { return q.get(); });
  EXPECT_EQ(g.get(), 1);  // the expired getter left nothing behind that could swallow the item
}

TEST(Queue, NowaitFormsNeverPark) {
  Queue<int> q(1);
  try {
    q.get_nowait();
    FAIL() << "expected QueueEmpty";
  } catch (const QueueEmpty& e) {
    EXPECT_EQ(e.code(), Errc::would_block);
  }
  EXPECT_THROW(q.peek_nowait(), QueueEmpty);
  q.put_nowait(1);
  EXPECT_TRUE(q.full());
  try {
    q.put_nowait(2);
    FAIL() << "expected QueueFull";
  } catch (const QueueFull& e) {
    EXPECT_EQ(e.code(), Errc::would_block);
  }
  EXPECT_EQ(q.peek_nowait(), 1);
  EXPECT_EQ(q.get_nowait(), 1);
}

TEST(Queue, BoundedPutParksUntilThereIsRoom) {
  Queue<int> q(2);
  std::vector<int> log;
  auto producer = spawn([&] {
    for (int i = 0; i < 4; ++i) {
      q.put(i);
      log.push_back(i);
    }
  });
  yield();
  EXPECT_EQ(log, (std::vector<int>{0, 1}));  // parked putting 2
  EXPECT_EQ(q.putters_waiting(), 1u);
  EXPECT_EQ(q.get(), 0);
  EXPECT_EQ(q.get(), 1);
  EXPECT_EQ(q.get(), 2);
  EXPECT_EQ(q.get(), 3);
  producer->join();
  EXPECT_EQ(log, (std::vector<int>{0, 1, 2, 3}));
}

TEST(Queue, PutTimeoutThrowsFull) {
  Queue<int> q(1);
  q.put(1);
  try {
    q.put(2, 1ms);
    FAIL() << "expected QueueFull";
  } catch (const QueueFull& e) {
    EXPECT_EQ(e.code(), Errc::timed_out);
  }
  EXPECT_EQ(q.qsize(), 1u);
  EXPECT_EQ(q.putters_waiting(), 0u);
}

TEST(Queue, PuttersAreServedInArrivalOrder) {
  Queue<int> q(1);
  q.put(0);
  std::vector<GreenletRef<>> putters;
  for (int i = 1; i <= 3; ++i) putters.push_back(spawn([&, i] { q.put(i); }));
  yield();
  std::vector<int> got;
  for (int i = 0; i < 4; ++i) got.push_back(q.get());
  joinall(putters);
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3}));
}

TEST(Queue, KilledGetterEndsAndLaterItemsGoToOthers) {
  Queue<int> q;
  auto victim = spawn([&] { return q.get(); });
  auto other = spawn([&] { return q.get(); });
  yield();
  victim->kill();
  EXPECT_TRUE(victim->killed());
  EXPECT_EQ(q.getters_waiting(), 1u);
  q.put(5);
  EXPECT_EQ(other.get(), 5);
  q.put(6);  // and the queue still works
  EXPECT_EQ(q.get(), 6);
}

TEST(Queue, NotifiedGetterKilledBeforeItRunsPassesTheItemOn) {
  Queue<int> q;
  auto victim = spawn([&] { return q.get(); });
  auto other = spawn([&] { return q.get(); });
  yield();
  q.put(7);                      // promised to `victim`...
  victim->kill(nullptr, false);  // ...which is killed before it runs
  EXPECT_EQ(other.get(), 7);
  EXPECT_TRUE(victim->killed());
  EXPECT_TRUE(q.empty());
}

TEST(Queue, NotifiedGetterKilledWithNobodyLeftLeavesTheItemQueued) {
  Queue<int> q;
  auto victim = spawn([&] { return q.get(); });
  yield();
  q.put(8);
  victim->kill();
  EXPECT_EQ(q.qsize(), 1u);
  EXPECT_EQ(q.get_nowait(), 8);
}

TEST(Queue, NewcomerCannotTakeAnItemPromisedToAWaiter) {
  Queue<int> q;
  auto waiter = spawn([&] { return q.get(); });
  yield();
  q.put(1);
  EXPECT_EQ(q.qsize(), 1u);
  EXPECT_FALSE(q.try_get().has_value());
  EXPECT_EQ(waiter.get(), 1);
}

TEST(Queue, TimeoutScopeInGetLosesNothing) {
  Queue<int> q;
  auto g = spawn([&] {
    Timeout t(1ms);
    return q.get();
  });
  g->join();
  EXPECT_THROW(g.get(), TimeoutError);
  q.put(3);
  EXPECT_EQ(q.get_nowait(), 3);
}

TEST(Queue, PeekLeavesTheItemForAGetter) {
  Queue<int> q;
  int peeked = 0;
  auto peeker = spawn([&] { peeked = q.peek(); });
  auto getter = spawn([&] { return q.get(); });
  yield();
  q.put(4);  // promised to the peeker, which passes it on to the getter
  EXPECT_EQ(getter.get(), 4);
  peeker->join();
  EXPECT_EQ(peeked, 4);
  EXPECT_TRUE(q.empty());
}

TEST(Queue, TryFormsReportWithoutExceptions) {
  Queue<std::unique_ptr<int>> q(1);
  auto item = std::make_unique<int>(1);
  EXPECT_TRUE(q.try_put(std::move(item)));
  auto kept = std::make_unique<int>(2);
  EXPECT_FALSE(q.try_put(std::move(kept), 1ms));
  ASSERT_TRUE(kept);  // not consumed when it was not added
  EXPECT_EQ(*kept, 2);
  auto got = q.try_get();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(**got, 1);
  EXPECT_FALSE(q.try_get(1ms).has_value());
}

TEST(Queue, DestroyedWithAParkedGetterRaisesClosedInIt) {
  auto q = std::make_unique<Queue<int>>();
  std::error_code seen;
  auto g = spawn([&, raw = q.get()] {
    try {
      raw->get();
    } catch (const std::system_error& e) {
      seen = e.code();
    }
  });
  yield();
  q.reset();
  g->join();
  EXPECT_EQ(seen, Errc::closed);
}

// Producers and consumers on a bounded queue, some killed and some timing out at arbitrary points
// (a fixed seed): every item put is got exactly once or is still queued.
TEST(Queue, KillsAndTimeoutsAtRandomNeverLoseOrDuplicateItems) {
  Queue<int> q(4);
  std::mt19937 rng(4242);
  std::vector<int> put_ok, got;
  std::vector<GreenletRef<>> gs;
  for (int i = 0; i < 400; ++i) {
    const bool producer = rng() % 2 == 0;
    const bool with_timeout = rng() % 3 == 0;
    const Duration timeout = with_timeout ? Duration(std::chrono::microseconds(50)) : kForever;
    gs.push_back(spawn([&, i, producer, timeout] {
      if (producer) {
        if (q.try_put(i, timeout)) put_ok.push_back(i);
      } else if (auto v = q.try_get(timeout)) {
        got.push_back(*v);
      }
    }));
    if (i % 5 == 0) yield();
    if (rng() % 4 == 0) gs[rng() % gs.size()]->kill(nullptr, false);
  }
  killall(gs);  // whoever still waits
  while (auto v = q.try_get()) got.push_back(*v);
  std::sort(put_ok.begin(), put_ok.end());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, put_ok);
  EXPECT_EQ(q.getters_waiting(), 0u);
  EXPECT_EQ(q.putters_waiting(), 0u);
}

TEST(JoinableQueue, JoinWaitsForEveryTaskDone) {
  JoinableQueue<int> q;
  int processed = 0;
  std::vector<GreenletRef<>> workers;
  for (int w = 0; w < 3; ++w)
    workers.push_back(spawn([&] {
      for (;;) {
        q.get();
        yield();
        ++processed;
        q.task_done();
      }
    }));
  for (int i = 0; i < 10; ++i) q.put(i);
  EXPECT_EQ(q.unfinished_tasks(), 10u);
  EXPECT_TRUE(q.join());
  EXPECT_EQ(processed, 10);
  EXPECT_EQ(q.unfinished_tasks(), 0u);
  killall(workers);
}

TEST(JoinableQueue, JoinTimesOutAndTaskDoneTooOftenIsAnError) {
  JoinableQueue<int> q;
  EXPECT_TRUE(q.join(1ms));
  EXPECT_THROW(q.task_done(), std::logic_error);
  q.put(1);
  EXPECT_FALSE(q.join(1ms));
  q.get();
  EXPECT_FALSE(q.join(Duration::zero()));
  q.task_done();
  EXPECT_TRUE(q.join(Duration::zero()));
}

// A struct holding a queue stays an aggregate callers can build with designated initialisers.
TEST(Queue, DefaultConstructsInDesignatedInitialisers) {
  struct Mailbox {
    std::string owner;
    Queue<int> inbox;
  };
  Mailbox box{.owner = "ada"};
  box.inbox.put(1);
  EXPECT_EQ(box.inbox.maxsize(), 0u);
  EXPECT_EQ(box.inbox.get(), 1);
  SimpleQueue<std::string> plain;
  plain.put("x");
  EXPECT_EQ(plain.get(), "x");
}

}  // namespace
}  // namespace fern
