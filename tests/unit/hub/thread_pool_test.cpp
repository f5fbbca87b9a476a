#include "fern/hub/thread_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

TEST(SpawnBlocking, ReturnsTheResultWithoutBlockingTheHub) {
  int ticks = 0;
  auto ticker = spawn([&] {
    for (;;) {
      ++ticks;
      sleep(1ms);
    }
  });
  auto id = spawn_blocking([] {
    std::this_thread::sleep_for(30ms);  // blocks its own thread only
    return std::this_thread::get_id();
  });
  EXPECT_NE(id, std::this_thread::get_id());
  EXPECT_GT(ticks, 1);  // the hub kept running the ticker meanwhile
  ticker->kill();
}

TEST(SpawnBlocking, RethrowsAndSupportsVoid) {
  EXPECT_THROW(spawn_blocking([]() -> int { throw std::runtime_error("in pool"); }), std::runtime_error);
  std::atomic<bool> ran{false};
  spawn_blocking([&] { ran = true; });
  EXPECT_TRUE(ran);
}

TEST(SpawnBlocking, ManyGreenletsShareThePool) {
  std::vector<GreenletRef<int>> gs;
  for (int i = 0; i < 64; ++i)
    gs.push_back(spawn([i] {
      return spawn_blocking([i] {
        std::this_thread::sleep_for(1ms);
        return i * i;
      });
    }));
  for (int i = 0; i < 64; ++i) EXPECT_EQ(gs[i].get(), i * i);
  EXPECT_LE(ThreadPool::shared().threads(), 16u);
}

TEST(SpawnBlocking, CallerTimesOutWhileTheJobFinishesAlone) {
  std::atomic<bool> finished{false};
  EXPECT_THROW(spawn_blocking(
                   [&] {
                     std::this_thread::sleep_for(20ms);
                     finished = true;
                   },
                   1ms),
               TimeoutError);
  while (!finished) sleep(1ms);
  sleep(5ms);  // its completion arrives at a hub whose caller left: dropped quietly
}

TEST(ThreadPool, RunsEveryJobBeforeDestruction) {
  std::atomic<int> done{0};
  {
    ThreadPool pool(3);
    for (int i = 0; i < 100; ++i) pool.submit([&] { ++done; });
  }
  EXPECT_EQ(done, 100);
}

}  // namespace
}  // namespace fern
