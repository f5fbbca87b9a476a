// The hub monitor: a greenlet that holds the hub (a busy loop, a blocking libc call with no hook)
// is reported with its name, number, spawn site and native stack; greenlets parked with no deadline
// on something only another greenlet can wake are reported as suspects. Every block here lasts 8x
// the threshold, so a slow machine delays a report but cannot lose it.
#include "fern/hub/monitor.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <string>
#include <vector>

#include "fern/hub/io_wait.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/sync/event.hpp"

using namespace std::chrono_literals;

// Holds the thread without switching: a busy loop on the clock.
[[gnu::noinline]] void fern_monitor_test_spin(fern::Duration d) {
  auto end = fern::Clock::now() + d;
  while (fern::Clock::now() < end) {
    asm volatile("" ::: "memory");
  }
}

namespace fern {
namespace {

class Monitor : public ::testing::Test {
 protected:
  void SetUp() override {
    set_block_reporter([this](const BlockReport& r) {
      std::lock_guard lock(mutex_);
      blocks_.push_back(r);
    });
    set_parked_reporter([this](const ParkedReport& r) {
      std::lock_guard lock(mutex_);
      parked_.push_back(r);
    });
  }
  void TearDown() override {
    stop_monitor();
    set_block_reporter({});
    set_parked_reporter({});
  }
  std::vector<BlockReport> blocks() {
    std::lock_guard lock(mutex_);
    return blocks_;
  }
  std::vector<ParkedReport> parked() {
    std::lock_guard lock(mutex_);
    return parked_;
  }

  std::mutex mutex_;
  std::vector<BlockReport> blocks_;
  std::vector<ParkedReport> parked_;
};

TEST_F(Monitor, ABusyGreenletIsReportedWithItsNameSiteAndStack) {
  start_monitor({.max_blocking_time = 50ms});
  auto g = spawn_with({.name = "spinner"}, [] { fern_monitor_test_spin(400ms); });
  const int line = __LINE__ - 1;
  g.get();
  std::vector<BlockReport> got = blocks();
  ASSERT_EQ(got.size(), 1u) << "one report per episode";
  const BlockReport& r = got[0];
  EXPECT_EQ(r.greenlet, "spinner");
  EXPECT_EQ(r.greenlet_id, g->id());
  EXPECT_NE(r.spawned_at.find("monitor_test.cpp:" + std::to_string(line)), std::string::npos) << r.spawned_at;
  EXPECT_GE(r.held, 50ms);
  EXPECT_GT(r.thread_id, 0);
  bool names_the_spinner = std::any_of(r.stack.begin(), r.stack.end(), [](const std::string& f) {
    return f.find("fern_monitor_test_spin") != std::string::npos;
  });
  EXPECT_TRUE(names_the_spinner) << format_block_report(r);
  std::string text = format_block_report(r);
  EXPECT_NE(text.find("'spinner (#" + std::to_string(g->id()) + ")'"), std::string::npos) << text;
}

TEST_F(Monitor, ABlockingLibcCallWithoutTheHookIsReported) {
  start_monitor({.max_blocking_time = 50ms});
  spawn_with({.name = "sleeper-in-libc"}, [this] {
    // Blocks the whole thread in libc, in 50 ms sleeps, until the monitor has reported (or 20 s
    // have passed): nothing else runs meanwhile, so however late a loaded machine schedules the
    // monitor thread, the block is still there when it looks. The monitor's stack capture
    // interrupts a sleep (EINTR), which goes on sleeping for the rest, as careful code does.
    for (int slice = 0; slice < 400 && blocks().empty(); ++slice) {
      timespec ts{0, 50'000'000};
      while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {
      }
    }
  }).get();
  std::vector<BlockReport> got = blocks();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].greenlet, "sleeper-in-libc");
  EXPECT_FALSE(got[0].stack.empty());
}

TEST_F(Monitor, AGreenletThatHoldsRightAfterAnotherIsReported) {
  // Main works for less than the threshold, long enough for the monitor to probe the hub, then
  // parks; the hub switches straight to the spinner from its ready queue without reading the probe.
  // The block is the spinner's, and it is reported however the looks fall.
  start_monitor({.max_blocking_time = 50ms});
  auto g = spawn_with({.name = "next-in-line"}, [] { fern_monitor_test_spin(400ms); });
  fern_monitor_test_spin(30ms);
  g.get();
  // On a slow machine main's own 30 ms may already count as a block (the probe can predate them);
  // what must hold is that the spinner is reported, once.
  std::vector<BlockReport> got = blocks();
  auto spinner_reports = std::count_if(got.begin(), got.end(),
                                       [](const BlockReport& r) { return r.greenlet == "next-in-line"; });
  EXPECT_EQ(spinner_reports, 1) << got.size() << " reports";
}

TEST_F(Monitor, AGreenletThatYieldsIsNotReported) {
  start_monitor({.max_blocking_time = 2s});
  spawn_with({.name = "polite"}, [] {
    for (int i = 0; i < 30; ++i) {
      fern_monitor_test_spin(10ms);
      sleep(0ms);
    }
  }).get();
  EXPECT_TRUE(blocks().empty());
}

TEST_F(Monitor, MainWorkingWithNothingElseToRunIsNotABlock) {
  start_monitor({.max_blocking_time = 50ms});
  sleep(1ms);  // the hub has run once
  fern_monitor_test_spin(400ms);
  EXPECT_TRUE(blocks().empty());
}

TEST_F(Monitor, MainHoldingTheHubWhileGreenletsWaitIsReported) {
  start_monitor({.max_blocking_time = 50ms});
  auto waiting = spawn_with({.name = "starved"}, [] { sleep(10ms); });
  sleep(1ms);
  fern_monitor_test_spin(400ms);
  waiting.get();
  std::vector<BlockReport> got = blocks();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].greenlet, "main");
}

TEST_F(Monitor, GreenletsParkedForeverOnNothingAreSuspects) {
  start_monitor({.max_blocking_time = Duration::zero(), .max_parked_time = 50ms});
  Event never;
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  adopt_fd(fds[0]);
  auto stuck = spawn_with({.name = "stuck"}, [&] { never.wait(); });
  auto napper = spawn_with({.name = "napper"}, [] { sleep(1h); });                  // has a deadline
  auto idle = spawn_with({.name = "idle-reader"}, [&] { wait_readable(fds[0]); });  // I/O: normal
  sleep(400ms);
  std::vector<ParkedReport> got = parked();
  ASSERT_EQ(got.size(), 1u) << "each suspect is reported once";
  ASSERT_EQ(got[0].greenlets.size(), 1u);
  EXPECT_EQ(got[0].greenlets[0].name, "stuck");
  EXPECT_EQ(got[0].greenlets[0].waits_on, "Event");
  EXPECT_NE(format_parked_report(got[0]).find("stuck (#"), std::string::npos);
  killall({stuck, napper, idle});
  close_fd(fds[0]);
  ::close(fds[1]);
}

TEST(MonitorDeathTest, StrictModeAbortsOnABlock) {
  EXPECT_DEATH(
      {
        start_monitor({.max_blocking_time = 50ms, .strict = true});
        spawn_with({.name = "offender"}, [] { fern_monitor_test_spin(2s); }).get();
      },
      "'offender \\(#[0-9]+\\)' held the hub");
}

}  // namespace
}  // namespace fern
