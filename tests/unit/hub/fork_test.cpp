// fern::fork and fern::reinit: a real fork(2) per test. The child checks its side and reports
// through its exit status (0, or 1 with the failed check on stderr); it leaves with _exit, so
// GoogleTest never runs the rest of the suite there. Waits have generous limits that only turn a
// hang into a failure; nothing is timed. Under FERN_DRIVER=poll/select/uring (the driver matrix)
// every test covers that driver.
#include "fern/hub/fork.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <functional>
#include <future>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

#include "fern/base/error.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/io_wait.hpp"
#include "fern/hub/monitor.hpp"
#include "fern/hub/run_info.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/thread_pool.hpp"
#include "fern/sync/event.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

// qemu-user cannot start threads in a forked child of a threaded process (it asserts): the tests
// that do are skipped there, and run natively on every other pass.
#ifdef FERN_UNDER_EMULATOR
#define skip_threads_in_child_under_emulator() \
  GTEST_SKIP() << "qemu-user cannot start threads in a forked child"
#else
#define skip_threads_in_child_under_emulator() (void)0
#endif

constexpr Duration kHangGuard = 60s;

struct SocketPair {
  int fd[2];
  SocketPair() {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd) != 0)
      throw_errno("socketpair");
    adopt_fd(fd[0]);
    adopt_fd(fd[1]);
  }
  ~SocketPair() {
    for (int end : fd) {
      if (end >= 0) close_fd(end);
    }
  }
};

char read_byte(int fd) {
  for (;;) {
    char c;
    ssize_t n = ::read(fd, &c, 1);
    if (n == 1) return c;
    if (n == 0) throw std::runtime_error("end of stream");
    if (errno != EAGAIN) throw_errno("read");
    wait_readable(fd, kHangGuard);
  }
}

void write_byte(int fd, char c) {
  if (::write(fd, &c, 1) != 1) throw_errno("write");
}

// A failed check in the child: its message goes to stderr, the child exits with status 1.
void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(what);
}

// Runs `body` in a child made by fern::fork() and leaves the child with _exit.
pid_t run_in_child(const std::function<void()>& body) {
  const pid_t pid = fern::fork();
  if (pid != 0) return pid;
  int status = 0;
  try {
    body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fork_test child: %s\n", e.what());
    status = 1;
  } catch (...) {
    std::fprintf(stderr, "fork_test child: an exception that is not a std::exception\n");
    status = 1;
  }
  ::_exit(status);
}

// The child's exit status, 128 + the signal if one ended it. Waits cooperatively, so the parent's
// greenlets keep running meanwhile; a child still there after kHangGuard is killed.
int child_status(pid_t pid) {
  const TimePoint give_up = deadline_after(kHangGuard);
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (done < 0) return -1;
    if (Clock::now() > give_up) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -2;
    }
    sleep(2ms);
  }
}

TEST(Fork, TheChildRunsGreenletsAndTimers) {
  Hub::current();
  const pid_t pid = run_in_child([] {
    int finished = 0;
    std::vector<GreenletRef<>> greenlets;
    for (int i = 1; i <= 3; ++i) {
      greenlets.push_back(spawn([&finished, i] {
        sleep(std::chrono::milliseconds(i));
        ++finished;
      }));
    }
    joinall(greenlets);
    sleep(1ms);
    require(finished == 3, "the child's greenlets did not all finish");
  });
  ASSERT_GT(pid, 0);
  EXPECT_EQ(child_status(pid), 0);
}

// Both descriptors are registered with the driver, and waited on, before the fork. Had the two
// processes kept one epoll set (or one io_uring), an edge could be reported to the wrong one, which
// then never passes the byte on, and both would hang.
TEST(Fork, EachProcessIsWokenOnlyByItsOwnData) {
  SocketPair for_parent, for_child;
  auto parent_side = spawn(read_byte, for_parent.fd[0]);
  auto child_side = spawn(read_byte, for_child.fd[0]);
  sleep(1ms);
  const pid_t pid = run_in_child([&] {
    parent_side->kill();  // the child's copy: that data is the parent's to read
    require(child_side.get() == 'c', "the child read the wrong byte");
    write_byte(for_parent.fd[1], 'p');
  });
  ASSERT_GT(pid, 0);
  child_side->kill();
  write_byte(for_child.fd[1], 'c');
  EXPECT_EQ(parent_side.get(), 'p');
  EXPECT_EQ(child_status(pid), 0);
}

// With a shared epoll set, the child's close_fd would take the descriptor out of the parent's set
// too (EPOLL_CTL_DEL names the file both share), and the parent's reader would never wake.
TEST(Fork, AChildClosingASharedDescriptorLeavesTheParentsWaitAlone) {
  SocketPair pair;
  auto reader = spawn(read_byte, pair.fd[0]);
  sleep(1ms);
  const pid_t pid = run_in_child([&] { close_fd(pair.fd[0]); });
  ASSERT_GT(pid, 0);
  EXPECT_EQ(child_status(pid), 0);  // the child has closed it before the byte is sent
  write_byte(pair.fd[1], 'x');
  EXPECT_EQ(reader.get(), 'x');
}

// A thread with a hub of its own, alive across the fork (the child does not have it).
class HubThread {
 public:
  HubThread() {
    thread_ = std::thread([this] {
      std::unique_lock lock(mutex_);
      remote_ = Hub::current().remote();
      ready_ = true;
      changed_.notify_all();
      changed_.wait(lock, [this] { return stop_; });
    });
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return ready_; });
  }
  ~HubThread() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
  RemoteHub remote() {
    std::lock_guard lock(mutex_);
    return remote_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  RemoteHub remote_;
  bool ready_ = false;
  bool stop_ = false;
  std::thread thread_;
};

// Each post waits for the previous one to run, so each wakes the child's hub from its sleep. Had
// the child kept the parent's wake eventfd, the parent's hub would wake about as often (or drain
// the child's wake-ups, and the child would hang). The parent counts the polls its driver returned
// from meanwhile: 1 for the byte, plus one per second of epoll's audit.
TEST(Fork, ACrossThreadWakeInTheChildStaysInTheChild) {
  skip_threads_in_child_under_emulator();
  constexpr int kWakes = 500;
  Hub& hub = Hub::current();
  const RemoteHub made_before_fork = hub.remote();
  HubThread other;
  const RemoteHub other_threads_hub = other.remote();
  SocketPair done;
  const std::uint64_t polls_before = hub.counters().polls;
  const pid_t pid = run_in_child([&] {
    std::atomic<int> ran{0};
    Event all_ran;
    const RemoteHub made_in_child = Hub::current().remote();
    std::thread poster([&] {
      for (int i = 0; i < kWakes; ++i) {
        // Both handles reach the child's hub: the old one follows the inbox that replaced it.
        const RemoteHub& via = i % 2 ? made_in_child : made_before_fork;
        via.call([&] {
          if (ran.fetch_add(1) + 1 == kWakes) all_ran.set();
        });
        while (ran.load() <= i) std::this_thread::yield();
      }
    });
    const bool all = all_ran.wait(kHangGuard);
    if (!all) ::_exit(2);  // the poster is stuck on a callback that never runs
    poster.join();
    require(!other_threads_hub.call([] {}), "a post to a hub whose thread is not in the child was accepted");
    write_byte(done.fd[1], 'd');
  });
  ASSERT_GT(pid, 0);
  close_fd(std::exchange(done.fd[1], -1));  // a child that dies shows as the end of the stream
  EXPECT_EQ(read_byte(done.fd[0]), 'd');
  EXPECT_LT(hub.counters().polls - polls_before, std::uint64_t{kWakes / 2});
  EXPECT_EQ(child_status(pid), 0);
  EXPECT_TRUE(other_threads_hub.call([] {}));  // the parent still has that thread
}

TEST(Fork, SpawnBlockingAndThreadPoolsWorkInTheChild) {
  skip_threads_in_child_under_emulator();
  // Both pools have threads when the process forks; the child has none of them.
  EXPECT_EQ(spawn_blocking([] { return 1; }), 1);
  ThreadPool pool(2);
  std::promise<void> warmed;
  pool.submit([&] { warmed.set_value(); });
  warmed.get_future().wait();
  const pid_t pid = run_in_child([&] {
    require(spawn_blocking([] { return 42; }) == 42, "spawn_blocking returned the wrong value");
    std::promise<int> result;
    auto future = result.get_future();
    pool.submit([&] { result.set_value(7); });
    require(future.wait_for(kHangGuard) == std::future_status::ready, "the pool never ran the job");
    require(future.get() == 7, "the pool's job gave the wrong value");
  });
  ASSERT_GT(pid, 0);
  EXPECT_EQ(child_status(pid), 0);
}

// Which end a spawn_blocking caller saw: its value, or the error the fork gave it.
int blocking_outcome(const std::function<int()>& job) {
  try {
    return spawn_blocking(job);
  } catch (const std::system_error& e) {
    return e.code() == Errc::cancelled ? -1 : -2;
  }
}

TEST(Fork, AJobRunningAtTheForkFailsInTheChildAndFinishesInTheParent) {
  int release[2];
  ASSERT_EQ(::pipe2(release, O_CLOEXEC), 0);
  std::atomic<bool> started{false};
  auto caller = spawn(blocking_outcome, [&] {
    started = true;
    char c;
    return ::read(release[0], &c, 1) == 1 ? 5 : 0;
  });
  while (!started) sleep(1ms);
  const pid_t pid = run_in_child([&] {
    require(caller.get() == -1, "the caller did not get Errc::cancelled");
    require(Hub::current().external_refs() == 0, "the lost job still counts as outstanding");
  });
  ASSERT_GT(pid, 0);
  write_byte(release[1], 'r');
  EXPECT_EQ(caller.get(), 5);
  EXPECT_EQ(child_status(pid), 0);
  ::close(release[0]);
  ::close(release[1]);
}

// One worker: `blocker` holds it, `queued` waits behind. In the child the worker is gone and the
// queued job is not run (it runs in the parent); a job submitted there gets a new thread.
TEST(Fork, JobsQueuedAtTheForkRunOnlyInTheParent) {
  skip_threads_in_child_under_emulator();
  int release[2];
  ASSERT_EQ(::pipe2(release, O_CLOEXEC), 0);
  std::atomic<bool> blocker_started{false};
  std::atomic<bool> queued_ran{false};
  {
    ThreadPool pool(1);
    pool.submit([&] {
      blocker_started = true;
      char c;
      const ssize_t n = ::read(release[0], &c, 1);
      EXPECT_EQ(n, 1);
    });
    pool.submit([&] { queued_ran = true; });
    while (!blocker_started) sleep(1ms);
    const pid_t pid = run_in_child([&] {
      std::promise<void> ran;
      pool.submit([&] { ran.set_value(); });
      require(ran.get_future().wait_for(kHangGuard) == std::future_status::ready,
              "the child's job never ran");
      require(!queued_ran, "a job queued in the parent ran in the child");
    });
    ASSERT_GT(pid, 0);
    EXPECT_EQ(child_status(pid), 0);
    write_byte(release[1], 'r');
  }
  EXPECT_TRUE(queued_ran);
  ::close(release[0]);
  ::close(release[1]);
}

TEST(Fork, GreenletsParkedBeforeTheForkAreParkedInTheChild) {
  Event go;
  auto parked = spawn([&] {
    go.wait();
    return 1;
  });
  auto sleeper = spawn([] {
    sleep(2ms);
    return 2;
  });
  sleep(0ms);
  const pid_t pid = run_in_child([&] {
    require(!parked->ready(), "the parked greenlet finished before its event was set");
    go.set();
    require(parked.get() == 1, "the parked greenlet was not woken in the child");
    require(sleeper.get() == 2, "a timer armed before the fork did not fire in the child");
  });
  ASSERT_GT(pid, 0);
  EXPECT_EQ(child_status(pid), 0);
  EXPECT_FALSE(parked->ready());  // the child's set() was the child's
  go.set();
  EXPECT_EQ(parked.get(), 1);
  EXPECT_EQ(sleeper.get(), 2);
}

// A program that forks by other means calls fern::reinit() first thing in the child.
TEST(Fork, ReinitAfterAPlainFork) {
  SocketPair pair;
  auto reader = spawn(read_byte, pair.fd[0]);
  sleep(1ms);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int status = 0;
    try {
      fern::reinit();
      reader->kill();
      sleep(1ms);  // a timer in the child's hub
      write_byte(pair.fd[1], 'r');
    } catch (...) {
      status = 1;
    }
    ::_exit(status);
  }
  EXPECT_EQ(reader.get(), 'r');
  EXPECT_EQ(child_status(pid), 0);
}

// The monitor's thread is restarted in the child and watches the child's hub: the child's main
// greenlet holds the hub (spawned greenlets are alive) until the monitor reports it.
TEST(Fork, TheMonitorWatchesTheChildsHub) {
  skip_threads_in_child_under_emulator();
  std::atomic<long> last_held_thread{0};
  set_block_reporter([&](const BlockReport& r) { last_held_thread = r.thread_id; });
  MonitorOptions options;
  options.max_blocking_time = 20ms;
  start_monitor(options);
  Event never;
  auto idle = spawn([&] { never.wait(); });
  sleep(1ms);
  const pid_t pid = run_in_child([&] {
    // The child's one thread has the process's id as its thread id: a report about it comes from
    // the child's monitor (the parent's may have reported the parent before the fork).
    const long self = ::getpid();
    const TimePoint give_up = deadline_after(kHangGuard);
    while (last_held_thread != self && Clock::now() < give_up) {
    }
    require(last_held_thread == self, "the child's monitor never reported the held hub");
  });
  stop_monitor();
  set_block_reporter({});
  ASSERT_GT(pid, 0);
  EXPECT_EQ(child_status(pid), 0);
  idle->kill();
}

// A dump signal installed before the fork is answered by the child's hub, about the child's
// greenlets.
TEST(Fork, TheDumpSignalIsAnsweredInTheChild) {
  install_dump_signal(SIGUSR2);
  const pid_t pid = run_in_child([] {
    Event never;
    auto only_in_child = spawn_with({.name = "only-in-child"}, [&] { never.wait(); });
    sleep(1ms);
    char path[] = "/tmp/fern_fork_dump_XXXXXX";
    int file = ::mkstemp(path);
    require(file >= 0, "mkstemp");
    ::dup2(file, STDERR_FILENO);
    ::raise(SIGUSR2);
    sleep(5ms);  // the hub answers on its next turn
    char text[4096] = {};
    ssize_t n = ::pread(file, text, sizeof text - 1, 0);
    ::unlink(path);
    require(n > 0 && std::strstr(text, "only-in-child") != nullptr, "the child's hub did not print its dump");
    only_in_child->kill();
  });
  std::signal(SIGUSR2, SIG_DFL);
  EXPECT_EQ(child_status(pid), 0);
}

}  // namespace
}  // namespace fern
