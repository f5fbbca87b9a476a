#include "fern/aio/timeout.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "fern/aio/sleep.hpp"
#include "fern/aio/spawn.hpp"
#include "fern/hub/timeout.hpp"

using namespace std::chrono_literals;

namespace fern::aio {
namespace {

Task<std::string> scoped(Duration limit, Duration work) {
  auto scope = co_await timeout(limit);
  try {
    co_await sleep(work);
  } catch (const TimeoutError&) {
    co_return scope.fired() ? "timed out" : "foreign";
  }
  co_return "finished";
}

TEST(TimeoutScope, FiresAtTheSuspendedAwait) { EXPECT_EQ(run(scoped(2ms, 1h)), "timed out"); }

TEST(TimeoutScope, DoesNothingWhenTheWorkIsQuicker) { EXPECT_EQ(run(scoped(1h, 1ms)), "finished"); }

Task<std::string> nested() {
  auto outer = co_await timeout(2ms);
  try {
    auto inner = co_await timeout(1h);
    try {
      co_await sleep(1h);
    } catch (const TimeoutError&) {
      if (!inner.fired()) throw;  // not ours: pass it on
      co_return "inner";
    }
  } catch (const TimeoutError&) {
    co_return outer.fired() ? "outer" : "neither";
  }
  co_return "none";
}

TEST(TimeoutScope, NestedScopesTellWhichOneFired) { EXPECT_EQ(run(nested()), "outer"); }

Task<int> slow(int v, Duration d) {
  co_await sleep(d);
  co_return v;
}

TEST(TimeoutScope, WaitForReturnsTheResultInTime) { EXPECT_EQ(run(wait_for(slow(3, 1ms), 1h)), 3); }

TEST(TimeoutScope, WaitForThrowsWhenTooSlow) { EXPECT_THROW(run(wait_for(slow(3, 1h), 2ms)), TimeoutError); }

Task<int> leave_scope_then_sleep() {
  {
    auto scope = co_await timeout(1ms);
    co_await sleep(0s);
  }
  co_await sleep(5ms);  // the disarmed scope must not fire here
  co_return 1;
}

TEST(TimeoutScope, LeavingTheBlockDisarmsIt) { EXPECT_EQ(run(leave_scope_then_sleep()), 1); }

}  // namespace
}  // namespace fern::aio
