#include "fern/hub/stats.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fern/hub/hub.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/sync/event.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

// Uses about `bytes` of stack, then parks, so the depth is noted.
[[gnu::noinline]] void park_deep(std::size_t bytes) {
  volatile char frame[16 * 1024];
  frame[0] = 1;
  frame[bytes < sizeof frame ? bytes : sizeof frame - 1] = 1;
  sleep(1ms);
  frame[1] = frame[0];  // the frame outlives the park (no tail call drops it first)
}

TEST(Stats, CountsWhatTheHubDoes) {
  HubStats before = stats();
  std::vector<GreenletRef<>> gs;
  for (int i = 0; i < 10; ++i) gs.push_back(spawn([] { sleep(1ms); }));
  // 200 yields keep the hub busy: it polls the driver at least every 61 busy turns regardless.
  gs.push_back(spawn([] {
    for (int i = 0; i < 200; ++i) sleep(0ms);
  }));
  joinall(gs);
  HubStats after = stats();
  EXPECT_EQ(after.greenlets_spawned - before.greenlets_spawned, 11u);
  EXPECT_GE(after.switches - before.switches, 20u) << "each greenlet was resumed at least twice";
  EXPECT_GT(after.loop_turns, before.loop_turns);
  EXPECT_GT(after.polls, before.polls);
  EXPECT_EQ(after.greenlets_live, 0u);
}

TEST(Stats, GaugesWhatIsParkedAndOnWhat) {
  Event never;
  auto a = spawn([&] { never.wait(); });
  auto b = spawn([&] { never.wait(); });
  auto c = spawn([] { sleep(1h); });
  sleep(1ms);
  HubStats s = stats();
  EXPECT_EQ(s.greenlets_live, 3u);
  EXPECT_EQ(s.parked_by_kind["Event"], 2u);
  EXPECT_EQ(s.parked_by_kind["sleep"], 1u);
  EXPECT_GE(s.timers, 1u);
  killall({a, b, c});
  EXPECT_EQ(stats().greenlets_live, 0u);
}

TEST(Stats, KeepsTheDeepestStackPerSpawnSite) {
  auto shallow = [] { sleep(1ms); };
  for (int i = 0; i < 3; ++i) spawn_with({.name = "shallow"}, shallow)->join();
  spawn_with({.name = "deep"}, [] { park_deep(12 * 1024); })->join();
  HubStats s = stats();
  const StackUse* deep = nullptr;
  const StackUse* low = nullptr;
  for (const StackUse& u : s.stack_use) {
    if (u.name == "deep") deep = &u;
    if (u.name == "shallow") low = &u;
  }
  ASSERT_NE(deep, nullptr);
  ASSERT_NE(low, nullptr);
  EXPECT_GE(deep->peak, 12u * 1024);
  EXPECT_LT(low->peak, deep->peak);
  EXPECT_EQ(low->greenlets, 3u);
  EXPECT_NE(deep->site.find("stats_test.cpp:"), std::string::npos) << deep->site;
  EXPECT_GT(deep->capacity, deep->peak);
  EXPECT_EQ(s.stack_use.front().peak, deep->peak) << "deepest first";
}

TEST(Stats, PrometheusTextNamesEveryMetric) {
  Event never;
  auto g = spawn_with({.name = "quote\"d"}, [&] { never.wait(); });
  sleep(1ms);
  std::string text = format_prometheus(stats());
  for (const char* name : {"fern_hub_loop_turns_total", "fern_hub_switches_total", "fern_hub_greenlets_live",
                           "fern_hub_ready", "fern_hub_timers", "fern_hub_fd_waits"}) {
    EXPECT_NE(text.find(std::string("# TYPE ") + name + " "), std::string::npos) << name << "\n" << text;
  }
  EXPECT_NE(text.find("fern_hub_parked{kind=\"Event\"} 1\n"), std::string::npos) << text;
  killall({g});
}

}  // namespace
}  // namespace fern
