// gevent's src/gevent/tests/test__queue.py against fern's Queue family and Channel.
//
// The one-item cases (UsesOnlyOneItemMixin, TestSimpleQueue) run for Queue, LifoQueue,
// PriorityQueue and JoinableQueue alike, as gevent runs them for each class. Left out: Python's
// subscripting and subclass hooks (_init/_get/_put, assigning .queue), weakrefs, the timing checks
// of AbstractGenericGetTestCase (the result of each timed-out call is checked instead), and
// Queue.shutdown() (Python 3.13's queue shutdown; fern's queues have no shutdown yet). gevent's
// hub callbacks (loop.run_callback) are fern's Hub::call_soon.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fern/hub/hub.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/timeout.hpp"
#include "fern/sync/async_result.hpp"
#include "fern/sync/channel.hpp"
#include "fern/sync/queue.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

// Runs `fn` as a hub callback (not in a greenlet), as gevent's loop.run_callback does.
void run_callback(std::function<void()> fn) { Hub::current().call_soon(std::move(fn)); }

template <class Q>
class OneItemQueue : public ::testing::Test {};
using QueueKinds = ::testing::Types<Queue<int>, LifoQueue<int>, PriorityQueue<int>, JoinableQueue<int>>;
TYPED_TEST_SUITE(OneItemQueue, QueueKinds);

// put_nowait() works from a hub callback: the first fits, the second finds the queue full.
// A hub callback that tries put_nowait(item) and records "none" (put) or "Full".
template <class Q>
std::function<void()> store_put_nowait(Q& q, std::vector<std::string>& result, int item) {
  return [&q, &result, item] {
    try {
      q.put_nowait(item);
      result.push_back("none");
    } catch (const QueueFull&) {
      result.push_back("Full");
    }
  };
}

TYPED_TEST(OneItemQueue, test_put_nowait_simple) {
  TypeParam q(1);
  std::vector<std::string> result;
  run_callback(store_put_nowait(q, result, 2));
  run_callback(store_put_nowait(q, result, 3));
  yield();
  EXPECT_EQ(result, (std::vector<std::string>{"none", "Full"}));
}

// put_nowait() from a hub callback hands the item to a greenlet parked in get().
TYPED_TEST(OneItemQueue, test_put_nowait_unlock) {
  TypeParam q;
  auto p = spawn([&] { return q.get(); });
  EXPECT_TRUE(q.empty());
  EXPECT_FALSE(q.full());
  sleep(1ms);
  EXPECT_TRUE(q.empty());
  std::vector<std::string> result;
  run_callback([&] {
    q.put_nowait(10);
    result.push_back("none");
  });
  EXPECT_FALSE(p->ready());
  sleep(1ms);
  EXPECT_EQ(result, std::vector<std::string>{"none"});
  EXPECT_TRUE(p->ready());
  EXPECT_EQ(p.get(), 10);
  EXPECT_TRUE(q.empty());
}

TYPED_TEST(OneItemQueue, test_send_last) {
  TypeParam q;
  auto p = spawn([&] {
    Timeout t(1s);  // a bound only: the put comes long before
    EXPECT_EQ(q.get(), 42);
    return std::string("OK");
  });
  sleep(10ms);
  q.put(42);
  sleep(10ms);
  EXPECT_EQ(p.get(Duration::zero()), "OK");
}

TYPED_TEST(OneItemQueue, test_get_nowait_simple) {
  TypeParam q(1);
  q.put(4);
  std::vector<std::optional<int>> result;
  auto store = [&] {
    try {
      result.push_back(q.get_nowait());
    } catch (const QueueEmpty&) {
      result.push_back(std::nullopt);
    }
  };
  run_callback(store);
  run_callback(store);
  yield();
  ASSERT_EQ(result.size(), 2u);
  EXPECT_EQ(result[0], 4);
  EXPECT_EQ(result[1], std::nullopt);
}

// get_nowait() from a hub callback lets a greenlet parked in put() finish.
TYPED_TEST(OneItemQueue, test_get_nowait_unlock) {
  TypeParam q(1);
  auto p = spawn([&] { q.put(5); });
  EXPECT_TRUE(q.empty());
  yield();
  EXPECT_TRUE(q.full());
  std::vector<int> result;
  run_callback([&] { result.push_back(q.get_nowait()); });
  yield();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(result, std::vector<int>{5});
  EXPECT_TRUE(p->ready());
  EXPECT_TRUE(p->dead());
}

TYPED_TEST(OneItemQueue, test_send_first) {
  TypeParam q;
  q.put(7);
  EXPECT_EQ(q.peek(), 7);
  EXPECT_EQ(q.get(), 7);
}

TYPED_TEST(OneItemQueue, test_peek_empty) {
  TypeParam q;
  // Nothing can ever put: gevent's LoopExit.
  EXPECT_THROW(q.peek(), LoopExit);
  auto g = spawn([&] { EXPECT_THROW(q.peek(10ms), QueueEmpty); });
  sleep(20ms);
  g->join();
  EXPECT_TRUE(g->successful());
}

TYPED_TEST(OneItemQueue, test_peek_multi_greenlet) {
  TypeParam q;
  auto g = spawn([&] { return q.peek(); });
  yield();
  q.put(1);
  g->join();
  EXPECT_EQ(g->exception(), nullptr);
  EXPECT_EQ(q.peek(), 1);
}

TYPED_TEST(OneItemQueue, test_multiple_waiters) {
  TypeParam q;
  std::vector<std::unique_ptr<AsyncResult<int>>> evts;
  for (int i = 0; i < 4; ++i) {
    auto& evt = *evts.emplace_back(std::make_unique<AsyncResult<int>>());
    spawn([&q, &evt] { evt.set(q.get()); });
  }
  sleep(10ms);  // get them all waiting
  std::set<int> results;
  auto collect_pending_results = [&] {
    for (auto& e : evts) {
      if (e->wait(1ms)) results.insert(e->get());
    }
    return results.size();
  };
  q.put(1);
  EXPECT_EQ(collect_pending_results(), 1u);
  q.put(2);
  EXPECT_EQ(collect_pending_results(), 2u);
  q.put(3);
  q.put(4);
  EXPECT_EQ(collect_pending_results(), 4u);
}

// A getter whose Timeout(0) fires before anything is put ends with the timeout.
template <class Q>
void do_receive(Q& q, AsyncResult<std::string>& evt) {
  Timeout t(Duration::zero());
  try {
    evt.set(std::to_string(q.get()));
  } catch (const TimeoutError&) {
    evt.set("timed out");
  }
}

TYPED_TEST(OneItemQueue, test_waiters_that_cancel) {
  TypeParam q;
  AsyncResult<std::string> evt;
  spawn([&] { do_receive(q, evt); });
  EXPECT_EQ(evt.get(), "timed out");
  q.put(1);
  EXPECT_EQ(q.get(), 1);
}

TYPED_TEST(OneItemQueue, test_senders_that_die) {
  TypeParam q;
  spawn([&] { q.put(1); });
  EXPECT_EQ(q.get(), 1);
}

TYPED_TEST(OneItemQueue, test_two_waiters_one_dies) {
  TypeParam q;
  AsyncResult<std::string> dying_evt, waiting_evt;
  spawn([&] { do_receive(q, dying_evt); });
  spawn([&] { waiting_evt.set(std::to_string(q.get())); });
  sleep(10ms);
  q.put(7);
  EXPECT_EQ(dying_evt.get(), "timed out");
  EXPECT_EQ(waiting_evt.get(), "7");
}

TYPED_TEST(OneItemQueue, test_two_bogus_waiters) {
  TypeParam q;
  AsyncResult<std::string> e1, e2;
  spawn([&] { do_receive(q, e1); });
  spawn([&] { do_receive(q, e2); });
  sleep(10ms);
  q.put(9);
  EXPECT_EQ(e1.get(), "timed out");
  EXPECT_EQ(e2.get(), "timed out");
  EXPECT_EQ(q.get(), 9);
}

// TestSimpleQueue.test_max_size (FIFO order, so Queue only).
TEST(TestQueue, test_max_size) {
  Queue<std::string> q(2);
  std::vector<std::string> results;
  auto p = spawn([&] {
    for (const char* item : {"a", "b", "c"}) {
      q.put(item);
      results.push_back(item);
    }
    return std::string("OK");
  });
  yield();
  EXPECT_EQ(results, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(q.get(), "a");
  yield();
  EXPECT_EQ(results, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(q.get(), "b");
  EXPECT_EQ(q.get(), "c");
  EXPECT_EQ(p.get(Duration::zero()), "OK");
}

TEST(TestQueue, test_task_done) {
  JoinableQueue<int> channel;
  spawn([&] { channel.put(1); });
  EXPECT_EQ(channel.get(), 1);
  EXPECT_EQ(channel.unfinished_tasks(), 1u);
  channel.task_done();
  EXPECT_EQ(channel.unfinished_tasks(), 0u);
}

// join() returns at once when nothing was ever put.
TEST(TestQueue, test_issue_45) {
  JoinableQueue<int> q;
  EXPECT_TRUE(q.join(Duration::zero()));
}

TEST(TestChannel, test_put_nowait_simple) {
  Channel<int> q;
  std::vector<std::string> result;
  run_callback(store_put_nowait(q, result, 2));
  run_callback(store_put_nowait(q, result, 3));
  yield();
  // A channel holds nothing: with no getter waiting, both puts find it full.
  EXPECT_EQ(result, (std::vector<std::string>{"Full", "Full"}));
}

TEST(TestChannel, test_get_nowait_unlock_channel) {
  Channel<int> q;
  auto p = spawn([&] { q.put(5); });
  sleep(1ms);
  EXPECT_EQ(q.putters_waiting(), 1u);
  std::vector<int> result;
  run_callback([&] { result.push_back(q.get_nowait()); });
  sleep(1ms);
  EXPECT_EQ(result, std::vector<int>{5});
  EXPECT_TRUE(p->ready());
  EXPECT_TRUE(p->dead());
  EXPECT_EQ(q.putters_waiting(), 0u);
}

TEST(TestChannel, test_zero_max_size) {
  Channel<std::string> q;
  AsyncResult<std::string> e1, e2;
  auto p1 = spawn([&] {
    q.put("hi");
    e1.set("done");
  });
  sleep(1ms);
  EXPECT_FALSE(e1.ready());
  auto p2 = spawn([&] { e2.set(q.get()); });
  EXPECT_EQ(e2.get(), "hi");
  EXPECT_EQ(e1.get(), "done");
  Timeout t(Duration::zero());
  joinall({p1, p2});
}

TEST(TestChannel, test_send) {
  Channel<std::string> channel;
  std::vector<std::string> events;
  auto g = spawn([&] {
    events.push_back(channel.get());
    events.push_back(channel.get());
  });
  events.push_back("sending");
  channel.put("hello");
  events.push_back("sent hello");
  channel.put("world");
  events.push_back("sent world");
  EXPECT_EQ(events, (std::vector<std::string>{"sending", "hello", "sent hello", "world", "sent world"}));
  g->join();
}

TEST(TestChannel, test_wait) {
  Channel<std::string> channel;
  std::vector<std::string> events;
  auto g = spawn([&] {
    events.push_back("sending hello");
    channel.put("hello");
    events.push_back("sending world");
    channel.put("world");
    events.push_back("sent world");
  });
  events.push_back("waiting");
  events.push_back(channel.get());
  events.push_back(channel.get());
  EXPECT_EQ(events,
            (std::vector<std::string>{"waiting", "sending hello", "hello", "sending world", "world"}));
  yield();
  EXPECT_EQ(events, (std::vector<std::string>{"waiting", "sending hello", "hello", "sending world", "world",
                                              "sent world"}));
  g->join();
}

TEST(TestGetInterrupt, test_get_times_out_on_every_kind) {
  EXPECT_THROW(Queue<int>().get(1ms), QueueEmpty);
  EXPECT_THROW(JoinableQueue<int>().get(1ms), QueueEmpty);
  EXPECT_THROW(LifoQueue<int>().get(1ms), QueueEmpty);
  EXPECT_THROW(PriorityQueue<int>().get(1ms), QueueEmpty);
  EXPECT_THROW(Channel<int>().get(1ms), QueueEmpty);
}

TEST(TestPutInterrupt, test_put_times_out_on_every_kind) {
  auto full = [](auto& q) {
    q.put(1);
    EXPECT_THROW(q.put(2, 1ms), QueueFull);
  };
  Queue<int> a(1);
  full(a);
  JoinableQueue<int> b(1);
  full(b);
  LifoQueue<int> c(1);
  full(c);
  PriorityQueue<int> d(1);
  full(d);
  EXPECT_THROW(Channel<int>().put(1, 1ms), QueueFull);
}

}  // namespace
}  // namespace fern
