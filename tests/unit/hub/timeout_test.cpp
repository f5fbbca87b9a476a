#include "fern/hub/timeout.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/wait_queue.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

TEST(Timeout, FiresInItsGreenletAndNamesItself) {
  Timeout t(5ms);
  try {
    sleep(1h);
    FAIL() << "sleep should have been interrupted";
  } catch (const TimeoutError& e) {
    EXPECT_TRUE(e.is(t));
    EXPECT_EQ(e.code(), Errc::timed_out);
  }
  EXPECT_TRUE(t.fired());
}

TEST(Timeout, CancelledScopeNeverFires) {
  {
    Timeout t(1ms);
    t.cancel();
    sleep(3ms);
    EXPECT_FALSE(t.fired());
  }
  sleep(2ms);  // nothing left armed raises later
}

TEST(Timeout, NestedScopesTellWhichFired) {
  Timeout outer(5ms);
  bool inner_handler_passed_it_on = false;
  try {
    try {
      Timeout inner(1h);
      sleep(1h);
    } catch (const TimeoutError& e) {
      EXPECT_FALSE(e.code() != Errc::timed_out);
      inner_handler_passed_it_on = true;
      throw;
    }
  } catch (const TimeoutError& e) {
    EXPECT_TRUE(e.is(outer));
  }
  EXPECT_TRUE(inner_handler_passed_it_on);
}

TEST(Timeout, InnerFiresFirst) {
  Timeout outer(1h);
  Timeout* inner_ptr = nullptr;
  try {
    Timeout inner(2ms);
    inner_ptr = &inner;
    sleep(1h);
  } catch (const TimeoutError& e) {
    EXPECT_EQ(e.source(), inner_ptr);
    EXPECT_FALSE(e.is(outer));
  }
  EXPECT_FALSE(outer.fired());
}

TEST(Timeout, WithTimeoutReturnsFallback) {
  int r = with_timeout(
      2ms,
      [] {
        sleep(1h);
        return 1;
      },
      -1);
  EXPECT_EQ(r, -1);
  int fast = with_timeout(
      1h, [] { return 7; }, -1);
  EXPECT_EQ(fast, 7);
}

TEST(Timeout, WorksInsideSpawnedGreenlets) {
  auto g = spawn([] {
    Timeout t(2ms);
    WaitQueue q;
    try {
      q.wait();
    } catch (const TimeoutError& e) {
      return e.is(t);
    }
    return false;
  });
  EXPECT_TRUE(g.get());
}

// gevent's with_timeout without a timeout_value: the scope's TimeoutError reaches the caller, and the
// function may return nothing.
TEST(Timeout, WithTimeoutWithoutFallbackRaisesAndTakesVoidFunctions) {
  bool ran = false;
  with_timeout(1h, [&] { ran = true; });
  EXPECT_TRUE(ran);
  EXPECT_THROW(with_timeout(2ms, [] { sleep(1h); }), TimeoutError);
  EXPECT_EQ(with_timeout(1h, [] { return std::string("done"); }), "done");
}

}  // namespace
}  // namespace fern
