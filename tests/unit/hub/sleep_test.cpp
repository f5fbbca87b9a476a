// sleep, yield and idle: what each lets run before the caller resumes.
#include "fern/hub/sleep.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fern/hub/spawn.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

// Workers that yield between steps stay ready throughout: yield() lets each take one step, idle()
// returns only once all of them (and the greenlet the last one spawns) have finished.
TEST(Sleep, IdleWaitsUntilNothingElseIsReady) {
  std::vector<std::string> log;
  std::vector<GreenletRef<>> workers;
  for (int w = 0; w < 3; ++w) {
    workers.push_back(spawn([&log, w] {
      for (int step = 0; step < 4; ++step) {
        log.push_back("w" + std::to_string(w));
        yield();
      }
      if (w == 2) spawn([&log] { log.push_back("late"); });
    }));
  }
  yield();
  EXPECT_EQ(log.size(), 3u);  // one step each
  idle();
  EXPECT_EQ(log.size(), 13u);
  EXPECT_EQ(log.back(), "late");
  for (auto& w : workers) EXPECT_TRUE(w->ready());
}

TEST(Sleep, IdleDoesNotWaitForTimers) {
  bool woke = false;
  auto sleeper = spawn([&] {
    sleep(1h);
    woke = true;
  });
  idle();  // returns although a timer is armed
  EXPECT_FALSE(woke);
  sleeper->kill();
}

}  // namespace
}  // namespace fern
