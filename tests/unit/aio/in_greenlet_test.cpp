#include "fern/aio/in_greenlet.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "fern/aio/sleep.hpp"
#include "fern/aio/spawn.hpp"
#include "fern/aio/timeout.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/timeout.hpp"
#include "fern/sync/queue.hpp"

using namespace std::chrono_literals;

namespace fern::aio {
namespace {

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
    struct Flag {
      bool* set;
      ~Flag() { *set = true; }
    } f{&unwound};
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

}  // namespace
}  // namespace fern::aio
