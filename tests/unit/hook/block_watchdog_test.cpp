// The block watchdog: a greenlet that holds the hub in code the hook does not cover is reported
// with its name and call site; the threshold switches it off. The blocking here is 8x the
// threshold, so a slow machine delays the report but cannot lose it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include <fern/hook/block_watchdog.hpp>
#include <fern/hook/monkey.hpp>
#include <fern/hub/spawn.hpp>

using namespace std::chrono_literals;

// Holds the thread without any call the hook covers: a busy loop on the clock.
[[gnu::noinline]] void fern_test_spin_in_unhooked_code(fern::Duration d) {
  auto end = fern::Clock::now() + d;
  while (fern::Clock::now() < end) {
    asm volatile("" ::: "memory");
  }
}

namespace {

struct Reports {
  std::mutex mutex;
  std::vector<fern::monkey::BlockReport> list;
  std::vector<fern::monkey::BlockReport> take() {
    std::lock_guard lock(mutex);
    return std::exchange(list, {});
  }
};

class BlockWatchdog : public ::testing::Test {
 protected:
  void SetUp() override {
    fern::monkey::patch_all();
    fern::monkey::set_block_reporter([this](const fern::monkey::BlockReport& r) {
      std::lock_guard lock(reports_.mutex);
      reports_.list.push_back(r);
    });
  }
  void TearDown() override { fern::monkey::set_block_reporter({}); }

  // A greenlet named `name` that makes one hooked call (so its thread is watched), then spins.
  void spin_in_greenlet(const char* name, fern::Duration d) {
    fern::SpawnOptions options;
    options.name = name;
    fern::spawn_with(options, [d] {
      usleep(1000);
      fern_test_spin_in_unhooked_code(d);
    }).get();
  }

  Reports reports_;
};

TEST_F(BlockWatchdog, ReportsTheGreenletAndItsCallSite) {
  fern::monkey::set_block_threshold(50ms);
  spin_in_greenlet("spinner", 400ms);
  std::vector<fern::monkey::BlockReport> got = reports_.take();
  ASSERT_EQ(got.size(), 1u) << "one report per episode";
  const fern::monkey::BlockReport& r = got[0];
  EXPECT_EQ(r.greenlet, "spinner");
  EXPECT_GE(r.held, 50ms);
  EXPECT_GT(r.thread_id, 0);
  bool names_the_spinner = std::any_of(r.stack.begin(), r.stack.end(), [](const std::string& f) {
    return f.find("fern_test_spin_in_unhooked_code") != std::string::npos;
  });
  EXPECT_TRUE(names_the_spinner) << fern::monkey::format_block_report(r);
  std::string text = fern::monkey::format_block_report(r);
  EXPECT_NE(text.find("'spinner (#"), std::string::npos) << text;
  EXPECT_NE(text.find("spawned at "), std::string::npos) << text;
  EXPECT_NE(text.find("fern_test_spin_in_unhooked_code"), std::string::npos);
}

TEST_F(BlockWatchdog, ZeroThresholdTurnsItOff) {
  fern::monkey::set_block_threshold(fern::Duration::zero());
  EXPECT_EQ(fern::monkey::block_threshold(), fern::Duration::zero());
  spin_in_greenlet("quiet", 300ms);
  EXPECT_TRUE(reports_.take().empty());
}

TEST_F(BlockWatchdog, AGreenletThatYieldsIsNotReported) {
  fern::monkey::set_block_threshold(2s);
  fern::SpawnOptions options;
  options.name = "polite";
  fern::spawn_with(options, [] {
    usleep(1000);
    for (int i = 0; i < 30; ++i) {
      fern_test_spin_in_unhooked_code(10ms);
      usleep(1000);
    }
  }).get();
  EXPECT_TRUE(reports_.take().empty());
}

}  // namespace
