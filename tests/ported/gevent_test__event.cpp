// gevent's src/gevent/tests/test__event.py against fern::Event, fern::AsyncResult and fern::wait.
//
// Left out: the timing checks of AbstractGenericWaitTestCase (timing never decides a fern test; the
// result of each timed-out wait is checked instead), weakrefs and str() coverage, and the
// cross-thread cases (gevent's AsyncResult is not thread safe either; fern's cross-thread path is
// AsyncResult::threadsafe_setter, tested in tests/unit/sync). Where fern's API differs (links take
// a callback, not an AsyncResult), the case does the same thing in fern's terms.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/timeout.hpp"
#include "fern/hub/wait.hpp"
#include "fern/sync/async_result.hpp"
#include "fern/sync/event.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

constexpr Duration kDelay = 20ms;

struct MyException : std::runtime_error {
  MyException() : std::runtime_error("MyException") {}
};

TEST(TestEventWait, test_wait_times_out) { EXPECT_FALSE(Event().wait(kDelay)); }

TEST(TestGeventWaitOnEvent, test_wait_times_out) {
  Event e;
  EXPECT_TRUE(wait({&e}, kDelay).empty());
}

// gevent#771: a waiter that runs while set() is waking waiters, clears the event and waits again
// must really wait: it is not woken by the set() it already saw.
TEST(TestGeventWaitOnEvent, test_set_during_wait) {
  Event event;
  auto waiter = spawn([&] {
    auto setter = spawn([&] { event.set(); });
    EXPECT_TRUE(event.wait());
    EXPECT_TRUE(event.is_set());
    setter->join();
    event.clear();
    EXPECT_FALSE(event.is_set());
    auto ready = wait({&event}, 10ms);
    EXPECT_FALSE(event.is_set());
    EXPECT_TRUE(ready.empty());
  });
  waiter->join();
  EXPECT_TRUE(waiter->successful());
}

TEST(TestAsyncResultWait, test_wait_times_out) { EXPECT_FALSE(AsyncResult<int>().wait(kDelay)); }

TEST(TestWaitAsyncResult, test_wait_times_out) {
  AsyncResult<int> r;
  EXPECT_TRUE(wait({&r}, kDelay).empty());
}

TEST(TestAsyncResultGet, test_get_times_out) { EXPECT_THROW(AsyncResult<int>().get(kDelay), TimeoutError); }

TEST(TestAsyncResult, test_set_exc) {
  std::vector<std::string> log;
  AsyncResult<int> e;
  EXPECT_EQ(e.exception(), nullptr);
  auto waiter = spawn([&] {
    try {
      e.get();
    } catch (const MyException&) {
      log.push_back("caught");
    }
  });
  e.set_exception(std::make_exception_ptr(MyException()));
  yield();
  waiter->join();
  EXPECT_EQ(log, std::vector<std::string>{"caught"});
}

// A Timeout of zero fires before a set() scheduled later, and it is that scope's error that comes
// out (gevent raises the Timeout's own exception; fern's TimeoutError names its scope).
TEST(TestAsyncResult, test_set) {
  AsyncResult<std::string> event1;
  auto g = spawn_later(kDelay, [&] { event1.set("hello event1"); });
  bool interrupted = false;
  {
    Timeout timeout(Duration::zero());
    try {
      event1.get();
    } catch (const TimeoutError& e) {
      interrupted = e.is(timeout);
    }
  }
  EXPECT_TRUE(interrupted);
  g->kill();
}

TEST(TestAsyncResult, test_set_with_timeout) {
  AsyncResult<int> event2;
  EXPECT_EQ(with_timeout(
                kDelay, [&] { return event2.get(); }, -1),
            -1);
}

TEST(TestAsyncResult, test_nonblocking_get) {
  AsyncResult<int> ar;
  EXPECT_THROW(ar.get(Duration::zero()), TimeoutError);
  EXPECT_THROW(ar.get_nowait(), TimeoutError);
}

TEST(TestAsyncResultAsLinkTarget, test_set) {
  auto g = spawn([] { return 1; });
  AsyncResult<int> s1, s2, s3;
  g->link([&](const GreenletRef<>&) { s1.set(1); });
  g->link_value([&](const GreenletRef<>&) { s2.set(1); });
  g->link_exception([&](const GreenletRef<>&) { s3.set(1); });
  EXPECT_EQ(s1.get(), 1);
  EXPECT_EQ(s2.get(), 1);
  EXPECT_EQ(with_timeout(
                kDelay, [&] { return s3.get(); }, -1),
            -1);
}

TEST(TestAsyncResultAsLinkTarget, test_set_exception) {
  auto g = spawn([]() -> int { throw MyException(); });
  AsyncResult<int> s1, s2, s3;
  g->link([&](const GreenletRef<>& r) { s1.set_exception(r->exception()); });
  g->link_value([&](const GreenletRef<>&) { s2.set(1); });
  g->link_exception([&](const GreenletRef<>& r) { s3.set_exception(r->exception()); });
  EXPECT_THROW(s1.get(), MyException);
  EXPECT_EQ(with_timeout(
                kDelay, [&] { return s2.get(); }, -1),
            -1);
  EXPECT_THROW(s3.get(), MyException);
}

// Waiters woken by set() return true even though clear() ran before they did.
void set_then_clear(int n) {
  Event e;
  std::vector<GreenletRef<bool>> waiters;
  for (int i = 0; i < n; ++i) waiters.push_back(spawn([&e] { return e.wait(); }));
  sleep(1ms);
  e.set();
  e.clear();
  for (auto& g : waiters) EXPECT_TRUE(g.get());
}
TEST(TestEvent_SetThenClear, test) { set_then_clear(1); }
TEST(TestEvent_SetThenClear100, test) { set_then_clear(100); }
TEST(TestEvent_SetThenClear1000, test) { set_then_clear(1000); }

// wait() over events and results set one by one: with no count it returns when all are ready;
// with a count, when that many are (the sender is then still running).
void wait_test(std::size_t n, std::optional<std::size_t> count) {
  std::vector<std::unique_ptr<Event>> events;
  std::vector<std::unique_ptr<AsyncResult<void>>> asyncs;
  std::vector<Waitable*> all;
  for (std::size_t i = 0; i < n; ++i) {
    all.push_back(events.emplace_back(std::make_unique<Event>()).get());
    all.push_back(asyncs.emplace_back(std::make_unique<AsyncResult<void>>()).get());
  }
  auto sender = spawn([&] {
    for (std::size_t i = n; i-- > 0;) {
      sleep(1ms);
      events[i]->set();
      sleep(1ms);
      asyncs[i]->set();
    }
  });
  auto results = count ? wait(all, kForever, *count) : wait(all);
  if (!count) {
    EXPECT_EQ(results.size(), 2 * n);
    sender->join();
    EXPECT_TRUE(sender->ready());
  } else {
    EXPECT_EQ(results.size(), *count);
    EXPECT_FALSE(sender->ready());
    sender->kill();
  }
}
TEST(TestWait_notimeout, test) { wait_test(5, std::nullopt); }
TEST(TestWait_count1, test) { wait_test(5, 1); }
TEST(TestWait_count2, test) { wait_test(5, 2); }

// gevent#1520: wait() on an event whose set() is still waking its waiters returns after them.
TEST(TestEventBasics, test_wait_while_notifying) {
  Event event;
  std::vector<int> results;
  auto wait_then_append = [&](int arg) {
    event.wait();
    results.push_back(arg);
  };
  auto g1 = spawn(wait_then_append, 1);
  auto g2 = spawn(wait_then_append, 2);
  yield();  // both are parked in wait() now
  event.set();
  wait_then_append(3);
  EXPECT_EQ(results, (std::vector<int>{1, 2, 3}));
  joinall({g1, g2});
}

TEST(TestEventBasics, test_gevent_wait_twice_when_already_set) {
  Event event;
  event.set();
  EXPECT_EQ(wait({&event}), std::vector<Waitable*>{&event});
  EXPECT_EQ(wait({&event}), std::vector<Waitable*>{&event});
}

}  // namespace
}  // namespace fern
