#include "fern/loop/event_loop.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "fern/base/error.hpp"
#include "fern/hub/io_wait.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/wait_queue.hpp"

using namespace std::chrono_literals;

namespace fern::loop {
namespace {

struct SocketPair {
  int fd[2] = {-1, -1};
  SocketPair() {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd) != 0)
      throw_errno("socketpair");
    adopt_fd(fd[0]);
    adopt_fd(fd[1]);
  }
  ~SocketPair() {
    for (int f : fd) {
      if (f >= 0) close_fd(f);
    }
  }
};

void put(int fd, const std::string& s) {
  ASSERT_EQ(::write(fd, s.data(), s.size()), static_cast<ssize_t>(s.size()));
}

TEST(EventLoop, CallSoonRunsInTheHubInOrder) {
  EventLoop loop;
  std::vector<int> order;
  bool in_hub = false;
  for (int i = 0; i < 5; ++i) loop.call_soon([&, i] { order.push_back(i); });
  loop.call_soon([&] {
    in_hub = loop.hub().in_hub();
    loop.stop();
  });
  loop.run_forever();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(in_hub);
  EXPECT_FALSE(loop.is_running());
}

TEST(EventLoop, CallLaterRunsByDeadlineNeverEarly) {
  EventLoop loop;
  std::vector<std::string> order;
  std::vector<Handle> handles;
  bool early = false;
  auto record = [&](std::string name, std::size_t index) {
    return [&, name, index] {
      if (loop.time() < handles[index].when()) early = true;
      order.push_back(name);
    };
  };
  handles.reserve(5);
  handles.push_back(loop.call_later(30ms, record("30", 0)));
  handles.push_back(loop.call_later(10ms, record("10a", 1)));
  handles.push_back(loop.call_later(20ms, record("20", 2)));
  handles.push_back(loop.call_at(handles[1].when(), record("10b", 3)));  // same deadline: FIFO
  handles.push_back(loop.call_later(0ms, record("0", 4)));
  loop.call_later(40ms, [&] { loop.stop(); });
  loop.run_forever();
  EXPECT_EQ(order, (std::vector<std::string>{"0", "10a", "10b", "20", "30"}));
  EXPECT_FALSE(early);
}

TEST(EventLoop, CancelledCallbacksNeverRun) {
  EventLoop loop;
  std::vector<std::string> ran;
  Handle later = loop.call_later(1ms, [&] { ran.push_back("later"); });
  Handle soon = loop.call_soon([&] { ran.push_back("soon"); });
  Handle kept = loop.call_soon([&] { ran.push_back("kept"); });
  later.cancel();
  soon.cancel();
  EXPECT_TRUE(later.cancelled());
  EXPECT_TRUE(soon.cancelled());
  loop.call_later(5ms, [&] { loop.stop(); });
  loop.run_forever();
  EXPECT_EQ(ran, std::vector<std::string>{"kept"});
  kept.cancel();  // after it ran: nothing to cancel
  EXPECT_FALSE(kept.cancelled());
  Handle().cancel();  // an empty handle is harmless
}

TEST(EventLoop, CallbackCancelsALaterOne) {
  EventLoop loop;
  bool ran = false;
  Handle victim = loop.call_later(2ms, [&] { ran = true; });
  loop.call_later(1ms, [&] { victim.cancel(); });
  loop.call_later(4ms, [&] { loop.stop(); });
  loop.run_forever();
  EXPECT_FALSE(ran);
}

TEST(EventLoop, StopBeforeRunForeverRunsOneTurn) {
  EventLoop loop;
  int ran = 0;
  loop.call_soon([&] { ++ran; });
  loop.stop();
  loop.run_forever();
  EXPECT_EQ(ran, 1);
}

TEST(EventLoop, StopFromAGreenlet) {
  EventLoop loop;
  auto stopper = spawn([&] {
    sleep(1ms);
    loop.stop();
  });
  loop.run_forever();
  EXPECT_TRUE(stopper->ready());
}

TEST(EventLoop, RunForTimesOutWithoutStop) {
  EventLoop loop;
  EXPECT_FALSE(loop.run_for(2ms));
  loop.call_soon([&] { loop.stop(); });
  EXPECT_TRUE(loop.run_for(60s));
}

TEST(EventLoop, StopFromAnotherThread) {
  EventLoop loop;
  std::thread other([&] {
    std::this_thread::sleep_for(5ms);
    loop.call_soon_threadsafe([&] { loop.stop(); });
  });
  // Nothing else is pending: the loop must wait for the other thread rather than give up.
  loop.run_forever();
  other.join();
}

TEST(EventLoop, GreenletsAndCallbacksInterleave) {
  EventLoop loop;
  std::vector<std::string> trace;
  auto greenlet = spawn([&] {
    for (int i = 0; i < 3; ++i) {
      trace.push_back("g" + std::to_string(i));
      yield();
    }
  });
  int calls = 0;
  std::function<void()> callback = [&] {
    trace.push_back("c" + std::to_string(calls));
    if (++calls < 3) {
      loop.call_soon(callback);
    } else {
      loop.stop();
    }
  };
  loop.call_soon(callback);
  loop.run_forever();
  greenlet.get();
  EXPECT_EQ(trace, (std::vector<std::string>{"g0", "c0", "g1", "c1", "g2", "c2"}));
}

TEST(EventLoop, ReaderFiresWhileReadableAndRemoveStopsIt) {
  EventLoop loop;
  SocketPair sp;
  std::string got;
  // Reads one byte per call: level-triggered, so it is called again while bytes remain.
  loop.add_reader(sp.fd[0], [&] {
    char c;
    if (::read(sp.fd[0], &c, 1) == 1) got += c;
    if (got == "abc") loop.stop();
  });
  put(sp.fd[1], "abc");
  loop.run_forever();
  EXPECT_EQ(got, "abc");
  EXPECT_TRUE(loop.remove_reader(sp.fd[0]));
  EXPECT_FALSE(loop.remove_reader(sp.fd[0]));
  put(sp.fd[1], "d");  // ready from the first turn on: a reader still active would see it
  loop.call_later(5ms, [&] { loop.stop(); });
  loop.run_forever();
  EXPECT_EQ(got, "abc");
  char c;
  EXPECT_EQ(::read(sp.fd[0], &c, 1), 1);
}

TEST(EventLoop, ReaderFedByAGreenlet) {
  EventLoop loop;
  SocketPair sp;
  std::vector<std::string> trace;
  WaitQueue acknowledged;
  loop.add_reader(sp.fd[0], [&] {
    char buf[64];
    ssize_t n = ::read(sp.fd[0], buf, sizeof buf);
    if (n <= 0) return;
    trace.push_back("read " + std::string(buf, static_cast<std::size_t>(n)));
    acknowledged.notify_one();
    if (trace.size() == 6) loop.stop();
  });
  auto writer = spawn([&] {
    for (int i = 0; i < 3; ++i) {
      trace.push_back("wrote " + std::to_string(i));
      put(sp.fd[1], std::to_string(i));
      acknowledged.wait_for(10s);
    }
  });
  loop.run_forever();
  writer.get();
  EXPECT_EQ(trace, (std::vector<std::string>{"wrote 0", "read 0", "wrote 1", "read 1", "wrote 2", "read 2"}));
}

TEST(EventLoop, WriterFiresAndCanRemoveItself) {
  EventLoop loop;
  SocketPair sp;
  int calls = 0;
  loop.add_writer(sp.fd[0], [&] {
    ++calls;
    put(sp.fd[0], "w");
    EXPECT_TRUE(loop.remove_writer(sp.fd[0]));
  });
  loop.call_later(5ms, [&] { loop.stop(); });
  loop.run_forever();
  EXPECT_EQ(calls, 1);
  char c;
  EXPECT_EQ(::read(sp.fd[1], &c, 1), 1);
}

TEST(EventLoop, AddingAgainReplacesTheCallback) {
  EventLoop loop;
  SocketPair sp;
  std::string who;
  loop.add_reader(sp.fd[0], [&] { who += "first"; });
  loop.add_reader(sp.fd[0], [&] {
    char c;
    while (::read(sp.fd[0], &c, 1) == 1) {
    }
    who += "second";
    loop.stop();
  });
  put(sp.fd[1], "x");
  loop.run_forever();
  EXPECT_EQ(who, "second");
  loop.remove_reader(sp.fd[0]);
}

TEST(EventLoop, CloseFdEndsWatchingAndTheNumberCanBeWatchedAgain) {
  EventLoop loop;
  auto first = std::make_unique<SocketPair>();
  int number = first->fd[0];
  int calls = 0;
  loop.add_reader(number, [&] { ++calls; });
  loop.run_for(1ms);  // the watcher parks on the fd
  close_fd(number);
  first->fd[0] = -1;
  loop.run_for(1ms);
  EXPECT_EQ(calls, 0);
  SocketPair second;
  ASSERT_EQ(second.fd[0], number);
  loop.add_reader(number, [&] {
    ++calls;
    loop.stop();
  });
  put(second.fd[1], "y");
  loop.run_forever();
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(loop.remove_reader(number));
}

TEST(EventLoop, ExceptionsGoToTheHandlerAndTheLoopGoesOn) {
  EventLoop loop;
  std::vector<std::string> errors;
  loop.set_exception_handler([&](std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::system_error& ex) {
      errors.push_back(ex.code() == Errc::not_in_greenlet ? "blocked in the hub" : ex.what());
    } catch (const std::exception& ex) {
      errors.push_back(ex.what());
    }
  });
  loop.call_soon([] { throw std::runtime_error("soon"); });
  loop.call_later(1ms, [] { throw std::runtime_error("later"); });
  loop.call_soon([] { sleep(1ms); });  // blocking inside the hub is refused
  loop.call_later(2ms, [&] { loop.stop(); });
  loop.run_forever();
  EXPECT_EQ(errors, (std::vector<std::string>{"soon", "blocked in the hub", "later"}));
}

TEST(EventLoop, RunUntilCompleteReturnsTheResultWhileCallbacksRun) {
  EventLoop loop;
  bool timer_ran = false;
  loop.call_later(1ms, [&] { timer_ran = true; });
  bool running_inside = false;
  int result = loop.run_until_complete([&] {
    running_inside = loop.is_running();
    sleep(3ms);
    return 42;
  });
  EXPECT_EQ(result, 42);
  EXPECT_TRUE(timer_ran);
  EXPECT_TRUE(running_inside);
  EXPECT_THROW(loop.run_until_complete([]() -> int { throw std::runtime_error("boom"); }),
               std::runtime_error);
}

TEST(EventLoop, RunningTwiceIsAnError) {
  EventLoop loop;
  auto nested = spawn([&] {
    try {
      loop.run_forever();
    } catch (const std::system_error& e) {
      loop.stop();
      return e.code() == Errc::invalid_argument;
    }
    return false;
  });
  loop.run_forever();
  EXPECT_TRUE(nested.get());
}

TEST(EventLoop, DestroyedLoopDropsWhatIsPending) {
  SocketPair sp;
  int ran = 0;
  {
    EventLoop loop;
    loop.add_reader(sp.fd[0], [&] { ++ran; });
    loop.run_for(0ms);  // the watcher starts and parks on the fd
    loop.call_soon([&] { ++ran; });
    loop.call_later(1ms, [&] { ++ran; });
  }
  put(sp.fd[1], "z");
  sleep(3ms);
  EXPECT_EQ(ran, 0);
  EXPECT_EQ(Hub::current().driver().waiting(), 0u);
}

TEST(EventLoop, OtherThreadsAreRefused) {
  EventLoop loop;
  std::error_code ec;
  std::thread([&] {
    try {
      loop.call_soon([] {});
    } catch (const std::system_error& e) {
      ec = e.code();
    }
  }).join();
  EXPECT_EQ(ec, Errc::wrong_thread);
}

}  // namespace
}  // namespace fern::loop
