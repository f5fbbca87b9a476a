#include "fern/aio/in_greenlet.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fern/aio/sleep.hpp"
#include "fern/aio/spawn.hpp"
#include "fern/aio/timeout.hpp"
#include "fern/greenlet/greenlet_local.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/timeout.hpp"
#include "fern/sync/event.hpp"
#include "fern/sync/queue.hpp"

using namespace std::chrono_literals;

namespace fern::aio {
namespace {

// Sets its flag when destroyed: proves a call's greenlet unwound.
struct SetOnUnwind {
  bool& flag;
  ~SetOnUnwind() { flag = true; }
};

Task<int> join_greenlet(GreenletRef<int> g, Duration timeout) {
  co_return co_await join(std::move(g), timeout);
}

TEST(InGreenlet, ATaskAwaitsAGreenletResult) {
  auto g = fern::spawn([] {
    fern::sleep(1ms);
    return 17;
  });
  EXPECT_EQ(run(join_greenlet(g, kForever)), 17);
}

TEST(InGreenlet, JoiningAGreenletTimesOut) {
  auto g = fern::spawn([] {
    fern::sleep(1h);
    return 0;
  });
  EXPECT_THROW(run(join_greenlet(g, 2ms)), TimeoutError);
  g->kill();
}

TEST(InGreenlet, AGreenletExceptionReachesTheTask) {
  auto g = fern::spawn([]() -> int { throw std::runtime_error("greenlet failed"); });
  EXPECT_THROW(run(join_greenlet(g, kForever)), std::runtime_error);
}

Task<std::string> blocking_code() {
  co_return co_await in_greenlet([] {
    fern::sleep(1ms);  // greenlet-blocking API, fine in the helper greenlet
    return std::string("done in a greenlet");
  });
}

TEST(InGreenlet, RunsBlockingCodeWithoutBlockingTheHub) {
  EXPECT_EQ(run(blocking_code()), "done in a greenlet");
}

Task<void> interrupted_blocking(bool& unwound) {
  auto scope = co_await timeout(2ms);
  co_await in_greenlet([&unwound] {
    SetOnUnwind mark{unwound};
    fern::sleep(1h);
  });
}

TEST(InGreenlet, AnInterruptKillsTheGreenletAndWaitsForIt) {
  bool unwound = false;
  EXPECT_THROW(run(interrupted_blocking(unwound)), TimeoutError);
  EXPECT_TRUE(unwound);  // the greenlet had unwound before the task saw the timeout
}

// The greenlet got its value before the cancellation landed: the value is kept and the
// cancellation comes at the task's next await.
Task<std::string> value_survives_cancel(Queue<int>& q, TaskHandle<>*& self) {
  int v = co_await in_greenlet([&q, &self] {
    int item = q.get();
    self->cancel();  // cancel the task after the item was taken, before the task resumes
    return item;
  });
  try {
    co_await sleep(0s);
  } catch (const CancelledError&) {
    co_return "kept " + std::to_string(v);
  }
  co_return "not cancelled";
}

TEST(InGreenlet, AResultObtainedBeforeACancelIsNotDropped) {
  Queue<int> q;
  TaskHandle<>* self = nullptr;
  auto h = spawn(value_survives_cancel(q, self));
  TaskHandle<> untyped = h;
  self = &untyped;
  fern::sleep(1ms);
  q.put(4);
  EXPECT_EQ(h.get(), "kept 4");
}

// Consecutive calls reuse one greenlet (no spawn per call), each with fresh GreenletLocals.
Task<std::vector<int>> locals_per_call(GreenletLocal<int>& local, std::vector<Greenlet*>& seen) {
  std::vector<int> found;
  for (int i = 0; i < 3; ++i) {
    found.push_back(co_await in_greenlet([&local, &seen, i] {
      seen.push_back(Greenlet::current());
      int before = *local;
      *local = i + 1;
      return before;
    }));
  }
  co_return found;
}

TEST(InGreenlet, ConsecutiveCallsShareAGreenletButNotItsLocals) {
  GreenletLocal<int> local;
  std::vector<Greenlet*> seen;
  EXPECT_EQ(run(locals_per_call(local, seen)), (std::vector<int>{0, 0, 0}));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], seen[1]);
  EXPECT_EQ(seen[1], seen[2]);
}

// Calls that park at the same time each have a greenlet of their own.
Task<Greenlet*> park_then_report(Event& go) {
  co_return co_await in_greenlet([&go] {
    go.wait();
    return Greenlet::current();
  });
}

Task<std::vector<Greenlet*>> parked_together(Event& go) {
  auto a = spawn(park_then_report(go));
  auto b = spawn(park_then_report(go));
  auto c = spawn(park_then_report(go));
  co_await sleep(1ms);
  go.set();
  std::vector<Greenlet*> seen;
  seen.push_back(co_await a);
  seen.push_back(co_await b);
  seen.push_back(co_await c);
  co_return seen;
}

TEST(InGreenlet, CallsParkedAtOnceRunOnDistinctGreenlets) {
  Event go;
  auto seen = run(parked_together(go));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_NE(seen[0], seen[1]);
  EXPECT_NE(seen[1], seen[2]);
  EXPECT_NE(seen[0], seen[2]);
}

// A task cancelled before its call began: the function never runs.
Task<void> cancelled_before_it_runs(bool& ran, TaskHandle<>*& self) {
  self->cancel();
  co_await in_greenlet([&ran] { ran = true; });
}

TEST(InGreenlet, ACallInterruptedBeforeItBeginsNeverRuns) {
  bool ran = false;
  TaskHandle<>* self = nullptr;
  auto h = spawn(cancelled_before_it_runs(ran, self));
  TaskHandle<> untyped = h;
  self = &untyped;
  EXPECT_THROW(h.get(), CancelledError);
  EXPECT_FALSE(ran);
}

// After an interrupted call, the next call runs normally (the carrier survived the kill).
Task<int> interrupted_then_again(bool& unwound) {
  {
    auto scope = co_await timeout(1ms);
    try {
      co_await in_greenlet([&unwound] {
        SetOnUnwind mark{unwound};
        fern::sleep(1h);
      });
    } catch (const TimeoutError&) {
    }
  }
  co_return co_await in_greenlet([] {
    fern::sleep(1ms);
    return 5;
  });
}

TEST(InGreenlet, ACallAfterAnInterruptedOneRuns) {
  bool unwound = false;
  EXPECT_EQ(run(interrupted_then_again(unwound)), 5);
  EXPECT_TRUE(unwound);
}

// A move-only result and a move-only function both pass through. The function is named before
// the await: g++ 12 destroys a closure temporary with a by-value capture twice when it is built
// inside the awaiting expression (docs/design/aio.md).
TEST(InGreenlet, MoveOnlyFunctionsAndResults) {
  auto make = [](std::unique_ptr<int> p) -> Task<std::unique_ptr<int>> {
    auto give_back = [p = std::move(p)]() mutable { return std::move(p); };
    co_return co_await in_greenlet(std::move(give_back));
  };
  auto r = run(make(std::make_unique<int>(9)));
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 9);
}

// The hub shutting down while a call is parked unwinds the call's greenlet: nothing is left
// running that would write into the destroyed task frame.
TEST(InGreenlet, AHubShuttingDownUnwindsACallInFlight) {
  bool unwound = false;
  std::thread t([&unwound] {
    auto body = [](bool& flag) -> Task<void> {
      co_await in_greenlet([&flag] {
        SetOnUnwind mark{flag};
        fern::sleep(1h);
      });
    };
    auto h = spawn(body(unwound));
    fern::sleep(1ms);  // the call is parked in its greenlet; the thread's hub goes away with it
  });
  t.join();
  EXPECT_TRUE(unwound);
}

// The documented forms for a function that owns data: named first, or capturing by reference.
Task<std::size_t> owning_function_named_first(std::string text) {
  auto measure = [text = std::move(text)] {
    fern::sleep(0s);
    return text.size();
  };
  co_return co_await in_greenlet(std::move(measure));
}

Task<std::size_t> capturing_by_reference(std::string text) {
  co_return co_await in_greenlet([&text] {
    fern::sleep(0s);
    return text.size();
  });
}

TEST(KnownCompilerTraps, DocumentedFormsForAFunctionThatOwnsDataWork) {
  const std::string long_text(100, 'x');  // past the small-string buffer: a heap block to free once
  EXPECT_EQ(run(owning_function_named_first(long_text)), 100u);
  EXPECT_EQ(run(capturing_by_reference(long_text)), 100u);
}

}  // namespace
}  // namespace fern::aio
