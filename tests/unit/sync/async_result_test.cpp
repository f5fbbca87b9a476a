#include "fern/sync/async_result.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fern/hub/hub.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/timeout.hpp"
#include "fern/hub/wait.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

TEST(AsyncResult, EveryWaiterGetsTheValue) {
  AsyncResult<std::string> r;
  std::vector<std::string> got;
  std::vector<GreenletRef<>> gs;
  for (int i = 0; i < 3; ++i) gs.push_back(spawn([&] { got.push_back(r.get()); }));
  yield();
  EXPECT_FALSE(r.ready());
  r.set("hello");
  joinall(gs);
  EXPECT_EQ(got, (std::vector<std::string>(3, "hello")));
  EXPECT_TRUE(r.successful());
  EXPECT_EQ(r.get_nowait(), "hello");
}

TEST(AsyncResult, ExceptionIsRethrownByGet) {
  AsyncResult<int> r;
  auto g = spawn([&] { return r.get(); });
  yield();
  r.set_exception(std::make_exception_ptr(std::runtime_error("broken")));
  EXPECT_THROW(g.get(), std::runtime_error);
  EXPECT_TRUE(r.ready());
  EXPECT_FALSE(r.successful());
  EXPECT_TRUE(r.exception());
  EXPECT_TRUE(r.wait());  // wait never throws the stored exception
  EXPECT_THROW(r.get(), std::runtime_error);
}

TEST(AsyncResult, GetTimesOutWithTimeoutError) {
  AsyncResult<int> r;
  EXPECT_THROW(r.get(1ms), TimeoutError);
  EXPECT_THROW(r.get_nowait(), TimeoutError);
  EXPECT_FALSE(r.wait(1ms));
  r.set(3);
  EXPECT_EQ(r.get(1ms), 3);
}

TEST(AsyncResult, GetNowaitNeverParks) {
  AsyncResult<int> r;
  auto setter = spawn([&] { r.set(1); });
  EXPECT_THROW(r.get_nowait(), TimeoutError);  // the setter has not had a chance to run
  setter->join();
  EXPECT_EQ(r.get_nowait(), 1);
}

TEST(AsyncResult, SettingTwiceIsAnError) {
  AsyncResult<int> r;
  r.set(1);
  EXPECT_THROW(r.set(2), std::logic_error);
  EXPECT_THROW(r.set_exception(std::make_exception_ptr(std::runtime_error("x"))), std::logic_error);
  EXPECT_THROW(r.set_exception(nullptr), std::invalid_argument);
  EXPECT_EQ(r.get(), 1);
}

TEST(AsyncResult, VoidResult) {
  AsyncResult<> r;
  bool done = false;
  auto g = spawn([&] {
    r.get();
    done = true;
  });
  yield();
  EXPECT_FALSE(done);
  r.set();
  g->join();
  EXPECT_TRUE(done);
  EXPECT_TRUE(r.successful());
}

TEST(AsyncResult, MoveOnlyValue) {
  AsyncResult<std::unique_ptr<int>> r;
  r.set(std::make_unique<int>(5));
  EXPECT_EQ(*r.get(), 5);
}

TEST(AsyncResult, KilledWaiterLeavesOthersWaiting) {
  AsyncResult<int> r;
  int other = 0;
  auto killed = spawn([&] { return r.get(); });
  auto waiter = spawn([&] { other = r.get(); });
  yield();
  killed->kill();
  r.set(9);
  waiter->join();
  EXPECT_EQ(other, 9);
}

TEST(AsyncResult, TimeoutScopeRaisesWhileWaiting) {
  AsyncResult<int> r;
  Timeout t(1ms);
  EXPECT_THROW(r.get(), TimeoutError);
  EXPECT_FALSE(r.ready());
}

TEST(AsyncResult, WaitableTogetherWithGreenlets) {
  AsyncResult<int> r;
  auto sleeper = spawn([] { sleep(1h); });
  auto setter = spawn([&] { r.set(4); });
  Waitable* objects[] = {sleeper.get_pointer(), &r};
  std::vector<Waitable*> done = wait(objects, kForever, 1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0], &r);
  sleeper->kill();
  setter->join();
}

TEST(AsyncResult, SetFromAnotherThread) {
  AsyncResult<int> r;
  std::thread worker([setter = r.threadsafe_setter()]() mutable {
    std::this_thread::sleep_for(5ms);  // the hub has nothing else to do meanwhile: no LoopExit
    setter.set(42);
  });
  EXPECT_EQ(r.get(), 42);
  worker.join();
}

TEST(AsyncResult, ExceptionFromAnotherThread) {
  AsyncResult<> r;
  std::thread worker([setter = r.threadsafe_setter()]() mutable {
    setter.set_exception(std::make_exception_ptr(std::runtime_error("far away")));
    EXPECT_THROW(setter.set_exception(std::make_exception_ptr(std::runtime_error("again"))),
                 std::logic_error);
  });
  EXPECT_THROW(r.get(), std::runtime_error);
  worker.join();
}

TEST(AsyncResult, UnusedSetterStopsKeepingTheHubBusy) {
  AsyncResult<int> r;
  std::thread([setter = r.threadsafe_setter()] {}).join();
  // Nothing can set it now: the main greenlet is told rather than left hanging.
  EXPECT_THROW(r.get(), LoopExit);
}

TEST(AsyncResult, LateValueForADestroyedResultIsDropped) {
  auto gone = std::make_unique<AsyncResult<std::string>>();
  AsyncResult<int> done;
  auto late = gone->threadsafe_setter();
  auto signal = done.threadsafe_setter();
  gone.reset();
  std::thread worker([late = std::move(late), signal = std::move(signal)]() mutable {
    late.set("nobody is listening");
    signal.set(1);  // callbacks run in order: the late one has been dealt with by then
  });
  EXPECT_EQ(done.get(), 1);
  worker.join();
}

}  // namespace
}  // namespace fern
