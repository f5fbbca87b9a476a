#include "fern/hub/run_info.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fern/hub/io_wait.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/sync/event.hpp"
#include "fern/sync/queue.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

const GreenletInfo* find(const std::vector<GreenletInfo>& all, const std::string& name) {
  for (const GreenletInfo& g : all) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

TEST(RunInfo, SaysWhatEachGreenletWaitsOnAndWhereItWasSpawned) {
  Event never;
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC), 0);
  adopt_fd(pipe_fds[0]);
  auto sleeper = spawn_with({.name = "sleeper"}, [] { sleep(1h); });
  const int sleeper_line = __LINE__ - 1;
  auto waiter = spawn_with({.name = "event-waiter"}, [&] { never.wait(); });
  auto joiner = spawn_with({.name = "joiner"}, [&] { sleeper->join(); });
  auto reader = spawn_with({.name = "reader"}, [&] { wait_readable(pipe_fds[0]); });
  sleep(10ms);  // every one of them parks
  auto fresh = spawn_with({.name = "fresh"}, [] {});

  std::vector<GreenletInfo> all = run_info();
  ASSERT_EQ(all.size(), 5u);
  const GreenletInfo* s = find(all, "sleeper");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->state, GreenletState::parked);
  EXPECT_EQ(s->waits_on, "sleep");
  EXPECT_GT(s->waited, Duration::zero());
  EXPECT_NE(s->spawned_at.find("run_info_test.cpp:" + std::to_string(sleeper_line)), std::string::npos)
      << s->spawned_at;
  EXPECT_EQ(s->id, sleeper->id());
  EXPECT_EQ(find(all, "event-waiter")->waits_on, "Event");
  EXPECT_EQ(find(all, "joiner")->waits_on, "join #" + std::to_string(sleeper->id()) + " (sleeper)");
  EXPECT_EQ(find(all, "reader")->waits_on, "fd " + std::to_string(pipe_fds[0]) + " (read)");
  EXPECT_EQ(find(all, "fresh")->state, GreenletState::ready);
  for (const GreenletInfo& g : all) EXPECT_EQ(g.parent_id, 0u) << g.name << ": spawned from main";

  killall({sleeper, waiter, joiner, reader, fresh});
  close_fd(pipe_fds[0]);
  ::close(pipe_fds[1]);
  EXPECT_TRUE(run_info().empty());
}

TEST(RunInfo, PlainSpawnRecordsItsCaller) {
  auto g = spawn([] { sleep(1h); });
  const int line = __LINE__ - 1;
  sleep(1ms);
  std::vector<GreenletInfo> all = run_info();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].name, "Greenlet-" + std::to_string(g->id()));
  EXPECT_NE(all[0].spawned_at.find("run_info_test.cpp:" + std::to_string(line)), std::string::npos)
      << all[0].spawned_at;
  auto add = [](int a, int b) {
    sleep(1h);
    return a + b;
  };
  auto with_args = spawn(add, 1, 2);
  const int args_line = __LINE__ - 1;
  sleep(1ms);
  EXPECT_NE(run_info().back().spawned_at.find(":" + std::to_string(args_line)), std::string::npos);
  killall({g, with_args});
}

// A deadlock: each waits for the other's queue. The dump shows both, with what they wait on,
// as a tree under the greenlet that spawned them.
TEST(RunInfo, ADeadlockedPairShowsInTheTreeUnderItsSpawner) {
  Queue<int> a, b;
  std::vector<GreenletRef<>> pair;
  auto boss = spawn_with({.name = "boss"}, [&] {
    pair.push_back(spawn_with({.name = "left"}, [&] { b.put(a.get()); }));
    pair.push_back(spawn_with({.name = "right"}, [&] { a.put(b.get()); }));
    sleep(1h);
  });
  sleep(10ms);
  std::vector<GreenletInfo> all = run_info();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(find(all, "left")->parent_id, boss->id());
  EXPECT_EQ(find(all, "left")->waits_on, "Queue.get");
  EXPECT_EQ(find(all, "right")->waits_on, "Queue.get");
  std::string tree = format_run_info(all);
  EXPECT_NE(tree.find("<hub: 3 greenlets, 0 ready, 3 parked>"), std::string::npos) << tree;
  EXPECT_NE(tree.find(" +-- boss (#"), std::string::npos) << tree;
  EXPECT_NE(tree.find(" |   +-- left (#"), std::string::npos) << tree;
  EXPECT_NE(tree.find("parked"), std::string::npos) << tree;
  killall(pair);
  killall({boss});
}

TEST(RunInfo, TheRunningGreenletSeesItselfRunning) {
  auto g = spawn_with({.name = "self"}, [] { return run_info(); });
  std::vector<GreenletInfo> seen = g.get();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].state, GreenletState::running);
}

// The dump on a signal: printed by the hub on its next turn, to stderr, and the program goes on.
TEST(RunInfo, DumpSignalPrintsTheTreeAndTheProgramCarriesOn) {
  auto parked = spawn_with({.name = "parked-forever"}, [] { sleep(1h); });
  sleep(1ms);
  char path[] = "/tmp/fern_dump_XXXXXX";
  int file = ::mkstemp(path);
  ASSERT_GE(file, 0);
  std::fflush(stderr);
  int saved = ::dup(STDERR_FILENO);
  ::dup2(file, STDERR_FILENO);
  install_dump_signal(SIGUSR2);
  std::raise(SIGUSR2);
  sleep(5ms);  // a turn of the hub or two
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(file);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  ::unlink(path);
  EXPECT_NE(text.str().find("<hub: 1 greenlets"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("parked-forever"), std::string::npos) << text.str();
  std::signal(SIGUSR2, SIG_DFL);
  killall({parked});
}

}  // namespace
}  // namespace fern
