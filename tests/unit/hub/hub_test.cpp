#include "fern/hub/hub.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "fern/base/error.hpp"
#include "fern/driver/epoll_driver.hpp"
#include "fern/hub/io_wait.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/wait_queue.hpp"
#include "fern/hub/waiter.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

// Once a spike of greenlets is over (the count fell to a quarter of its peak and stayed there), the
// hub gives the memory they used back once, and not again while nothing changes. Counted, not
// timed: the loop only waits for the release to happen.
TEST(Hub, GivesASpikesMemoryBackOnceItIsOver) {
  std::thread([] {
    Hub& hub = Hub::current();
    WaitQueue gate;
    std::vector<GreenletRef<>> gs;
    for (int i = 0; i < 2048; ++i) gs.push_back(spawn([&] { gate.wait(); }));
    sleep(0ms);  // they all park
    EXPECT_EQ(hub.counters().memory_releases, 0u) << "no release while the spike lasts";
    gate.notify_all();
    joinall(gs);
    gs.clear();
    for (int i = 0; i < 100000 && hub.counters().memory_releases == 0; ++i) sleep(1ms);
    EXPECT_EQ(hub.counters().memory_releases, 1u);
    for (int i = 0; i < 3; ++i) sleep(1ms);
    EXPECT_EQ(hub.counters().memory_releases, 1u) << "once per spike";
  }).join();
}

// The same release has the driver give back the spike's part of its tables: here the epoll driver's
// entries up to a descriptor number far above the others, waited on during the spike and closed
// before it ended.
TEST(Hub, ASpikesReleaseAlsoShrinksTheDriversDescriptorTable) {
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_cur < 1024) GTEST_SKIP() << "RLIMIT_NOFILE below 1024";
  const int high = static_cast<int>(std::min<rlim_t>(4000, limit.rlim_cur - 64));
  std::thread([high] {
    Hub& hub = Hub::install(DriverKind::epoll);
    auto& driver = dynamic_cast<EpollDriver&>(hub.driver());
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    const int fd = ::fcntl(sv[0], F_DUPFD_CLOEXEC, high);
    ASSERT_GE(fd, high);
    ::close(sv[0]);
    adopt_fd(fd);
    adopt_fd(sv[1]);
    WaitQueue gate;
    std::vector<GreenletRef<>> gs;
    for (int i = 0; i < 2048; ++i) gs.push_back(spawn([&] { gate.wait(); }));
    std::error_code read_result = make_error_code(Errc::timed_out);
    gs.push_back(spawn([&] { read_result = wait_fd(fd, io_events::readable, deadline_after(60s)); }));
    sleep(0ms);  // they all park
    EXPECT_GT(driver.fd_table_capacity(), static_cast<std::size_t>(fd));
    ASSERT_EQ(::write(sv[1], "x", 1), 1);
    gate.notify_all();
    joinall(gs);
    gs.clear();
    EXPECT_EQ(read_result, std::error_code());
    close_fd(fd);
    close_fd(sv[1]);
    for (int i = 0; i < 100000 && hub.counters().memory_releases == 0; ++i) sleep(1ms);
    EXPECT_EQ(hub.counters().memory_releases, 1u);
    EXPECT_LT(driver.fd_table_capacity(), static_cast<std::size_t>(high));
  }).join();
}

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

namespace fern {
namespace {

// Direct handoff (Hub::switch_away): a parking greenlet may switch straight to the next ready one.
// What runs and in which order must be exactly what the loop would do.

// Round-robin: each turn runs what was ready when it began, in the order it became ready, whether
// the switch goes through the hub or is handed off.
TEST(HubHandoff, OrderIsTheLoops) {
  std::vector<int> log;
  std::vector<GreenletRef<>> gs;
  for (int id = 0; id < 4; ++id) {
    gs.push_back(spawn([&log, id] {
      for (int k = 0; k < 3; ++k) {
        log.push_back(id * 10 + k);
        yield();
      }
    }));
  }
  // A callback queued among them runs at its place in the turn, never skipped by a handoff.
  Hub::current().call_soon([&log] { log.push_back(99); });
  joinall(gs);
  const std::vector<int> expected = {0, 10, 20, 30, 99, 1, 11, 21, 31, 2, 12, 22, 32};
  EXPECT_EQ(log, expected);
}

// A timer that falls due while greenlets keep yielding is run at the next turn: handoffs between
// the yielders never starve it. The bound on turns only stops a broken hub; it decides nothing.
TEST(HubHandoff, TimerDueMidBatchRuns) {
  bool woke = false;
  auto sleeper = spawn([&] {
    sleep(1us);
    woke = true;
  });
  long turns = 0;
  auto yielder = [&] {
    while (!woke && turns < 50'000'000) {
      ++turns;
      yield();
    }
  };
  auto a = spawn(yielder);
  auto b = spawn(yielder);
  joinall({a, b, sleeper});
  EXPECT_TRUE(woke);
}

// I/O readiness is polled every few busy turns even when the ready queue never empties.
TEST(HubHandoff, PeriodicPollWakesIoWaitersWhileOthersYield) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
  adopt_fd(fds[0]);
  bool readable = false;
  auto reader = spawn([&] {
    wait_readable(fds[0]);
    readable = true;
  });
  yield();  // the reader is parked on the fd
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  long turns = 0;
  auto yielder = [&] {
    while (!readable && turns < 50'000'000) {
      ++turns;
      yield();
    }
  };
  auto a = spawn(yielder);
  auto b = spawn(yielder);
  joinall({a, b, reader});
  EXPECT_TRUE(readable);
  close_fd(fds[0]);
  ::close(fds[1]);
}

// A greenlet woken and then killed before it ran sees the kill, not the wake, even when the
// killer parks and hands off straight to it.
TEST(HubHandoff, KillOfAQueuedGreenletWins) {
  WaitQueue q;
  bool returned_normally = false, killed = false;
  auto victim = spawn([&] {
    try {
      q.wait();
      returned_normally = true;
    } catch (const GreenletExit&) {
      killed = true;
      throw;
    }
  });
  yield();  // parked in q.wait()
  auto killer = spawn([&] {
    q.notify_all();  // the victim is queued to resume
    victim->kill(nullptr, false);
    yield();  // parks: the next ready greenlet (the victim) may be handed the switch directly
  });
  joinall({killer, victim});
  EXPECT_TRUE(killed);
  EXPECT_FALSE(returned_normally);
}

// A greenlet spawned (queued to start) and killed before it ran never runs; a handoff skips it.
TEST(HubHandoff, KillOfAQueuedUnstartedGreenletNeverRuns) {
  bool ran = false;
  auto killer = spawn([&] {
    auto never = spawn([&] { ran = true; });
    never->kill(nullptr, false);
    yield();
    EXPECT_TRUE(never->dead());
  });
  killer->join();
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace fern
