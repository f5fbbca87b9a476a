#include "fern/hub/hub.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "fern/base/error.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/wait_queue.hpp"
#include "fern/hub/waiter.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

TEST(Hub, OnePerThread) {
  Hub* mine = &Hub::current();
  EXPECT_EQ(mine, &Hub::current());
  Hub* other = nullptr;
  std::thread([&] { other = &Hub::current(); }).join();
  EXPECT_NE(mine, other);
  EXPECT_EQ(mine->driver().kind(), default_driver_kind());
}

TEST(Hub, CallSoonRunsInTheHub) {
  Hub& hub = Hub::current();
  bool in_hub = false;
  hub.call_soon([&] { in_hub = hub.in_hub(); });
  sleep(0ms);
  EXPECT_TRUE(in_hub);
}

TEST(Hub, CallbackThreadsafeWakesASleepingHub) {
  Hub& hub = Hub::current();
  WaitQueue q;
  bool woke = false;
  hub.add_external_ref();  // the other thread will come back
  std::thread t([&] {
    std::this_thread::sleep_for(5ms);
    hub.run_callback_threadsafe([&] {
      woke = true;
      q.notify_one();
      hub.release_external_ref();
    });
  });
  q.wait();
  t.join();
  EXPECT_TRUE(woke);
}

TEST(Hub, BlockingInTheHubIsAnError) {
  Hub& hub = Hub::current();
  std::error_code ec;
  hub.call_soon([&] {
    try {
      Waiter w;
      w.park();
    } catch (const std::system_error& e) {
      ec = e.code();
    }
  });
  sleep(0ms);
  EXPECT_EQ(ec, Errc::not_in_greenlet);
}

TEST(Hub, SleepZeroLetsOthersRunOnce) {
  std::vector<int> order;
  auto a = spawn([&] {
    for (int i = 0; i < 3; ++i) {
      order.push_back(1);
      sleep(0ms);
    }
  });
  auto b = spawn([&] {
    for (int i = 0; i < 3; ++i) {
      order.push_back(2);
      sleep(0ms);
    }
  });
  joinall({a, b});
  EXPECT_EQ(order, (std::vector<int>{1, 2, 1, 2, 1, 2}));
}

TEST(Hub, ThreadExitUnwindsParkedGreenlets) {
  std::atomic<bool> unwound{false};
  std::thread([&] {
    struct Flag {
      std::atomic<bool>* f;
      ~Flag() { *f = true; }
    };
    spawn([&] {
      Flag flag{&unwound};
      sleep(1h);
    });
    sleep(0ms);
  }).join();
  EXPECT_TRUE(unwound);
}

}  // namespace
}  // namespace fern
