// Popen and run with real programs (sh, cat, head, sleep, ls): exit codes and signal deaths, a
// missing program, environment and working directory, more than a pipe buffer both ways at once,
// communicate timing out and carrying on, waits that park only their greenlet, many children
// from many greenlets, the pidfd-less fallback, and no descriptor leaked in either process.
#include "fern/process/subprocess.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "fern/base/error.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/timeout.hpp"
#include "fern/process/signal.hpp"
#include "fern/sync/event.hpp"

namespace fern::subprocess {
namespace {

using namespace std::chrono_literals;

std::size_t open_descriptors() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

// True while this process has any child, running or not yet reaped.
bool has_children() {
  siginfo_t info{};
  return ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

// Background reapers run on the hub: give them the turns they need.
bool no_children_within(Duration limit) {
  TimePoint deadline = Clock::now() + limit;
  while (has_children() && Clock::now() < deadline) sleep(1ms);
  return !has_children();
}

bool is_zombie(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string self, command, state;
  stat >> self >> command >> state;
  return state == "Z";
}

std::string pattern(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  return s;
}

Options piped_output() {
  Options o;
  o.out = Stdio::pipe;
  o.err = Stdio::pipe;
  return o;
}

Options piped_all() {
  Options o = piped_output();
  o.in = Stdio::pipe;
  return o;
}

bool is_timed_out(const std::system_error& e) { return e.code() == make_error_code(Errc::timed_out); }

// --- exit status

TEST(Popen, ReturnsTheExitCode) {
  Popen ok({"true"});
  EXPECT_EQ(ok.wait(), 0);
  Popen three({"/bin/sh", "-c", "exit 3"});
  EXPECT_EQ(three.wait(), 3);
  EXPECT_EQ(three.returncode(), 3);
  EXPECT_EQ(three.poll(), 3);
}

TEST(Popen, DeathBySignalIsANegativeReturncode) {
  Popen p({"/bin/sh", "-c", "kill -KILL $$"});
  EXPECT_EQ(p.wait(), -SIGKILL);
}

TEST(Popen, TerminateWorksWhileTheHubHandlesSigterm) {
  // The handler blocks SIGTERM in this thread; the child must not inherit that mask.
  SignalHandler handler = signal_handler(SIGTERM, [](int) {});
  Popen p({"sleep", "30"});
  EXPECT_FALSE(p.poll());
  p.terminate();
  EXPECT_EQ(p.wait(), -SIGTERM);
}

TEST(Popen, SignalsAfterTheChildIsReapedDoNothing) {
  Popen p({"true"});
  p.wait();
  EXPECT_NO_THROW(p.kill());
  EXPECT_NO_THROW(p.terminate());
  EXPECT_NO_THROW(p.send_signal(SIGUSR1));
  EXPECT_EQ(p.returncode(), 0);
}

TEST(Popen, SignalsAfterTheChildExitedButBeforeItIsReapedDoNothing) {
  Popen p({"true"});
  while (!is_zombie(p.pid())) sleep(1ms);
  EXPECT_NO_THROW(p.kill());
  EXPECT_EQ(p.wait(), 0);
}

// --- starting

TEST(Popen, AMissingProgramThrowsEnoentFromTheConstructor) {
  std::size_t before = open_descriptors();
  for (const char* program : {"/nonexistent/fern-test-program", "fern-no-such-program-on-path"}) {
    try {
      Popen p({program, "arg"}, piped_all());
      FAIL() << program << " started";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory) << e.what();
      EXPECT_NE(std::string(e.what()).find(program), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(open_descriptors(), before);
  EXPECT_FALSE(has_children());
}

TEST(Popen, AMissingWorkingDirectoryThrows) {
  Options o;
  o.cwd = "/nonexistent/fern-test-dir";
  try {
    Popen p({"true"}, o);
    FAIL();
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory) << e.what();
  }
}

TEST(Popen, RefusesAnEmptyArgvAndStdoutAsStdin) {
  EXPECT_THROW(Popen(std::vector<std::string>{}), std::system_error);
  Options o;
  o.in = Stdio::to_stdout;
  EXPECT_THROW(Popen({"true"}, o), std::system_error);
}

TEST(Popen, TheEnvironmentIsReplaced) {
  Options o = piped_output();
  o.env = std::map<std::string, std::string>{{"FERN_TEST", "hello world"}};
  Popen p({"/bin/sh", "-c", "echo \"$FERN_TEST:${HOME-unset}\""}, o);
  auto [out, err] = p.communicate();
  EXPECT_EQ(out, "hello world:unset\n");
  EXPECT_EQ(p.returncode(), 0);
}

TEST(Popen, TheCurrentEnvironmentCanBeExtended) {
  ::setenv("FERN_TEST_INHERITED", "yes", 1);
  Options o = piped_output();
  o.env = current_environment();
  (*o.env)["FERN_TEST_ADDED"] = "added";
  Popen p({"/bin/sh", "-c", "echo $FERN_TEST_INHERITED $FERN_TEST_ADDED"}, o);
  EXPECT_EQ(p.communicate().out, "yes added\n");
  ::unsetenv("FERN_TEST_INHERITED");
}

TEST(Popen, TheWorkingDirectoryIsHonoured) {
  std::filesystem::path dir = std::filesystem::canonical(std::filesystem::temp_directory_path());
  Options o = piped_output();
  o.cwd = dir.string();
  Popen p({"/bin/sh", "-c", "pwd -P"}, o);
  EXPECT_EQ(p.communicate().out, dir.string() + "\n");
}

TEST(Popen, TheChildGetsOnlyDescriptorsZeroToTwo) {
  // A descriptor without close-on-exec in the parent must not reach the child either.
  int planted = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(planted, 0);
  ASSERT_EQ(::dup2(planted, 57), 57);
  ::close(planted);
  Popen p({"ls", "/proc/self/fd"}, piped_all());
  auto [out, err] = p.communicate();
  ::close(57);
  std::set<std::string> fds;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) fds.insert(line);
  // ls itself has its directory open as 3.
  EXPECT_EQ(fds, (std::set<std::string>{"0", "1", "2", "3"})) << out << err;
}

TEST(Popen, StderrCanJoinStdout) {
  Options o;
  o.out = Stdio::pipe;
  o.err = Stdio::to_stdout;
  Popen p({"/bin/sh", "-c", "echo one; echo two >&2; echo three"}, o);
  auto [out, err] = p.communicate();
  EXPECT_EQ(out, "one\ntwo\nthree\n");
  EXPECT_EQ(err, "");
}

TEST(Popen, DevnullStdinIsEmpty) {
  Options o = piped_output();
  o.in = Stdio::devnull;
  Popen p({"cat"}, o);
  auto [out, err] = p.communicate();
  EXPECT_EQ(out, "");
  EXPECT_EQ(p.returncode(), 0);
}

// --- communicate

TEST(Communicate, MoreThanAPipeBufferBothWaysAtOnce) {
  const std::string input = pattern(3 << 20);  // cat echoes it while we are still writing
  Popen p({"cat"}, piped_all());
  auto [out, err] = p.communicate(input, 60s);
  EXPECT_EQ(out.size(), input.size());
  EXPECT_TRUE(out == input);
  EXPECT_EQ(p.returncode(), 0);
}

TEST(Communicate, LargeStdoutAndStderrTogether) {
  Popen p({"/bin/sh", "-c",
           "head -c 300000 /dev/zero >&2; head -c 1000000 /dev/zero; head -c 200000 /dev/zero >&2"},
          piped_output());
  auto [out, err] = p.communicate({}, 60s);
  EXPECT_EQ(out.size(), 1000000u);
  EXPECT_EQ(err.size(), 500000u);
  EXPECT_EQ(p.returncode(), 0);
}

TEST(Communicate, AChildThatStopsReadingEarlyIsNotAnError) {
  // head exits after 10 bytes: the rest of the input meets EPIPE, which must not raise SIGPIPE
  // here (that would end this test program).
  Popen p({"head", "-c", "10"}, piped_all());
  auto [out, err] = p.communicate(pattern(1 << 20), 60s);
  EXPECT_EQ(out, pattern(10));
  EXPECT_EQ(p.returncode(), 0);
}

TEST(Communicate, InputNeedsAStdinPipe) {
  Popen p({"true"}, piped_output());
  EXPECT_THROW(p.communicate("x"), std::system_error);
  p.wait();
}

TEST(Communicate, TimesOutWithoutKillingThenKillAndCarryOn) {
  Popen p({"/bin/sh", "-c", "echo start; exec sleep 30"}, piped_output());
  try {
    p.communicate({}, 100ms);
    FAIL() << "no timeout";
  } catch (const TimeoutExpired& e) {
    EXPECT_TRUE(is_timed_out(e));
  }
  EXPECT_FALSE(p.poll()) << "communicate must not kill the child";
  p.kill();
  auto [out, err] = p.communicate();
  EXPECT_EQ(out, "start\n");
  EXPECT_EQ(p.returncode(), -SIGKILL);
}

TEST(Communicate, ATimeoutMidInputKeepsTheRestForTheNextCall) {
  // The child reads nothing until the test lets it: the first call cannot get the input through.
  std::filesystem::path go =
      std::filesystem::temp_directory_path() / ("fern-go-" + std::to_string(::getpid()));
  std::filesystem::remove(go);
  Popen p({"/bin/sh", "-c", "while [ ! -e \"$1\" ]; do sleep 0.01; done; exec cat", "sh", go.string()},
          piped_all());
  std::string input = pattern(1 << 20);
  EXPECT_THROW(p.communicate(input, 100ms), TimeoutExpired);
  input.assign(input.size(), 'X');  // the caller's buffer may change or go: the rest was copied
  EXPECT_THROW(p.communicate("more"), std::system_error);
  std::ofstream(go.string()).put('\n');
  auto [out, err] = p.communicate({}, 60s);
  std::filesystem::remove(go);
  EXPECT_TRUE(out == pattern(1 << 20)) << out.size();
  EXPECT_EQ(p.returncode(), 0);
}

TEST(Communicate, EndsWithATimeoutScopeAndCarriesOn) {
  Popen p({"/bin/sh", "-c", "echo start; exec sleep 30"}, piped_output());
  {
    Timeout scope(50ms);
    try {
      p.communicate();
      FAIL() << "no timeout";
    } catch (const TimeoutError& e) {
      EXPECT_TRUE(e.is(scope));
    }
  }
  p.terminate();
  EXPECT_EQ(p.communicate().out, "start\n");
  EXPECT_EQ(p.returncode(), -SIGTERM);
}

// --- waiting

TEST(Popen, WaitTimesOutAndTheChildRunsOn) {
  Popen p({"sleep", "30"});
  try {
    p.wait(20ms);
    FAIL() << "no timeout";
  } catch (const std::system_error& e) {
    EXPECT_TRUE(is_timed_out(e));
  }
  EXPECT_FALSE(p.poll());
  p.kill();
  EXPECT_EQ(p.wait(), -SIGKILL);
}

TEST(Popen, WaitParksOnlyTheCallingGreenlet) {
  // The child exits only after another greenlet of this thread writes to it: if wait() held the
  // thread, that greenlet could never run.
  Popen p({"/bin/sh", "-c", "read line; exit 7"}, piped_all());
  spawn([&] {
    p.stdin_pipe().write_all("go\n");
    p.stdin_pipe().close();
  });
  EXPECT_EQ(p.wait(60s), 7);
}

TEST(Popen, AnotherGreenletKeepsRunningWhileOneWaits) {
  int ticks = 0;
  bool done = false;
  auto counter = spawn([&] {
    while (!done) {
      ++ticks;
      sleep(5ms);
    }
  });
  Popen p({"sleep", "0.3"});
  EXPECT_EQ(p.wait(), 0);
  done = true;
  counter.get();
  EXPECT_GT(ticks, 1);
}

TEST(Popen, TwoGreenletsWaitForOneChild) {
  Popen p({"/bin/sh", "-c", "sleep 0.1; exit 5"});
  auto a = spawn([&] { return p.wait(); });
  auto b = spawn([&] { return p.wait(); });
  EXPECT_EQ(a.get(), 5);
  EXPECT_EQ(b.get(), 5);
}

TEST(Popen, ManyChildrenFromManyGreenlets) {
  constexpr int kChildren = 20;
  std::vector<Popen*> started(kChildren, nullptr);
  int waiting = 0;
  Event all_started;
  std::vector<GreenletRef<std::string>> greenlets;
  for (int i = 0; i < kChildren; ++i) {
    greenlets.push_back(spawn([&, i] {
      Popen p({"/bin/sh", "-c", "read x; echo \"$x\""}, piped_all());
      started[static_cast<std::size_t>(i)] = &p;
      if (++waiting == kChildren) all_started.set();
      EXPECT_EQ(p.wait(60s), 0);  // all twenty wait at once
      return p.stdout_pipe().read_all(60s);
    }));
  }
  ASSERT_TRUE(all_started.wait(60s));
  for (int i = 0; i < kChildren; ++i) {
    Popen& p = *started[static_cast<std::size_t>(i)];
    p.stdin_pipe().write_all(std::to_string(i) + "\n");
    p.stdin_pipe().close();
  }
  for (int i = 0; i < kChildren; ++i) {
    EXPECT_EQ(greenlets[static_cast<std::size_t>(i)].get(), std::to_string(i) + "\n");
  }
}

TEST(Popen, WaitPollsWhenPidfdIsUnavailable) {
  ::setenv("FERN_PIDFD", "off", 1);
  Popen five({"/bin/sh", "-c", "exit 5"});
  Popen sleeper({"sleep", "30"});
  ::unsetenv("FERN_PIDFD");
  EXPECT_EQ(five.wait(), 5);
  EXPECT_THROW(sleeper.wait(20ms), TimeoutExpired);
  EXPECT_FALSE(sleeper.poll());
  sleeper.kill();
  EXPECT_EQ(sleeper.wait(), -SIGKILL);
}

TEST(Popen, AMovedPopenKeepsItsChild) {
  Popen a({"/bin/sh", "-c", "exit 9"});
  int pid = a.pid();
  Popen b = std::move(a);
  EXPECT_EQ(b.pid(), pid);
  Popen c({"true"});
  c = std::move(b);  // c's own child is handed to the background reaper
  EXPECT_EQ(c.wait(), 9);
  EXPECT_TRUE(no_children_within(10s));
}

TEST(Popen, ARunningChildDroppedIsReapedInTheBackground) {
  int pid;
  {
    Popen p({"sleep", "30"}, piped_all());
    pid = p.pid();
  }
  EXPECT_EQ(::kill(pid, 0), 0) << "the destructor must not kill the child";
  ::kill(pid, SIGKILL);  // still ours: not reaped yet
  std::string proc = "/proc/" + std::to_string(pid);
  for (int i = 0; i < 10000 && std::filesystem::exists(proc); ++i) sleep(1ms);
  EXPECT_FALSE(std::filesystem::exists(proc)) << "left a zombie";
}

TEST(Popen, NoDescriptorLeaks) {
  std::size_t before = open_descriptors();
  {
    Popen p({"cat"}, piped_all());
    EXPECT_EQ(p.communicate(pattern(200000)).out.size(), 200000u);
  }
  {
    Popen p({"/bin/sh", "-c", "exec sleep 30"}, piped_all());
    EXPECT_THROW(p.communicate({}, 10ms), TimeoutExpired);
    p.kill();
    p.communicate();
  }
  {
    Popen p({"sleep", "30"});
    p.kill();
    p.wait();
  }
  EXPECT_THROW(Popen({"/nonexistent/fern"}, piped_all()), std::system_error);
  RunOptions o;
  o.capture_output = true;
  o.input = "abc";
  EXPECT_EQ(run({"cat"}, o).out, "abc");
  EXPECT_EQ(open_descriptors(), before);
  EXPECT_FALSE(has_children());
}

// --- run

TEST(Run, CapturesOutputAndReturncode) {
  RunOptions o;
  o.capture_output = true;
  CompletedProcess done = run({"/bin/sh", "-c", "echo out; echo err >&2; exit 4"}, o);
  EXPECT_EQ(done.returncode, 4);
  EXPECT_EQ(done.out, "out\n");
  EXPECT_EQ(done.err, "err\n");
  EXPECT_EQ(done.args.size(), 3u);
  EXPECT_THROW(done.check_returncode(), CalledProcessError);
}

TEST(Run, FeedsInput) {
  RunOptions o;
  o.capture_output = true;
  o.input = "to cat\n";
  EXPECT_EQ(run({"cat"}, o).out, "to cat\n");
}

TEST(Run, CheckThrowsCalledProcessError) {
  RunOptions o;
  o.capture_output = true;
  o.check = true;
  try {
    run({"/bin/sh", "-c", "echo partial; exit 2"}, o);
    FAIL() << "no error";
  } catch (const CalledProcessError& e) {
    EXPECT_EQ(e.returncode, 2);
    EXPECT_EQ(e.out, "partial\n");
    EXPECT_NE(std::string(e.what()).find("exit status 2"), std::string::npos) << e.what();
  }
  EXPECT_EQ(run({"true"}, o).returncode, 0);
}

TEST(Run, ATimeoutKillsAndReapsTheChild) {
  RunOptions o;
  o.capture_output = true;
  o.timeout = 200ms;
  try {
    run({"/bin/sh", "-c", "echo partial; exec sleep 30"}, o);
    FAIL() << "no timeout";
  } catch (const TimeoutExpired& e) {
    EXPECT_TRUE(is_timed_out(e));
    // What the child wrote before the timeout comes with the error; how much it managed to write
    // in 200 ms is up to the scheduler.
    EXPECT_TRUE(e.out.empty() || e.out == "partial\n") << e.out;
  }
  EXPECT_FALSE(has_children());
}

TEST(Run, AKilledCallerKillsAndReapsTheChild) {
  auto caller = spawn([] { run({"sleep", "30"}); });
  sleep(1ms);  // it starts the child and parks
  caller->kill();
  EXPECT_TRUE(caller->killed());
  EXPECT_FALSE(has_children());
}

}  // namespace
}  // namespace fern::subprocess
