// Signals through the hub, with real signals sent to this process: handlers run in greenlets,
// wait_signal parks and times out, several handlers share a signal, removal restores the mask, a
// failing handler is reported without stopping delivery, and SIGTERM stops a StreamServer that
// drains a live connection.
#include "fern/process/signal.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "fern/base/error.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/timeout.hpp"
#include "fern/net/address.hpp"
#include "fern/net/socket.hpp"
#include "fern/net/stream_server.hpp"
#include "fern/sync/event.hpp"

namespace fern {
namespace {

using namespace std::chrono_literals;

// A signal sent to the whole process (kill(getpid(), ...)) goes to any thread that does not
// block it, so, as signal.hpp asks, SIGUSR1 and SIGTERM are blocked before any thread exists:
// every thread this test starts inherits the mask. SIGUSR2 stays unblocked, for the tests of
// what a registration does to the mask, and is only ever raised in the test's own thread.
const bool kProcessSignalsBlocked = [] {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGTERM);
  return pthread_sigmask(SIG_BLOCK, &set, nullptr) == 0;
}();

bool blocked_here(int sig) {
  sigset_t now;
  pthread_sigmask(SIG_SETMASK, nullptr, &now);
  return sigismember(&now, sig) == 1;
}

bool is_timed_out(const std::system_error& e) { return e.code() == make_error_code(Errc::timed_out); }

TEST(SignalHandler, RunsInAGreenletWhenTheProcessRaisesTheSignal) {
  ASSERT_TRUE(kProcessSignalsBlocked);
  Event ran;
  int seen = 0;
  bool in_spawned_greenlet = false;
  SignalHandler handler = signal_handler(SIGUSR2, [&](int sig) {
    seen = sig;
    in_spawned_greenlet = current_spawned() != nullptr;
    ran.set();
  });
  EXPECT_TRUE(handler.active());
  EXPECT_EQ(handler.signal(), SIGUSR2);
  ASSERT_EQ(::raise(SIGUSR2), 0);  // blocked, so it waits for the hub's descriptor
  ASSERT_TRUE(ran.wait(10s));
  EXPECT_EQ(seen, SIGUSR2);
  EXPECT_TRUE(in_spawned_greenlet);
}

TEST(SignalHandler, RunsWhenTheProcessIsSentTheSignalWhileAnotherThreadExists) {
  // The other thread was started after SIGUSR1 was blocked process-wide, so the kernel can only
  // leave the signal pending for the hub's descriptor.
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
  std::thread bystander([&] {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return done; });
  });
  Event ran;
  SignalHandler handler = signal_handler(SIGUSR1, [&](int) { ran.set(); });
  ASSERT_EQ(::kill(::getpid(), SIGUSR1), 0);
  EXPECT_TRUE(ran.wait(10s));
  {
    std::lock_guard lock(mutex);
    done = true;
  }
  cv.notify_one();
  bystander.join();
}

TEST(SignalHandler, RunsOncePerArrival) {
  int runs = 0;
  Event ran;
  SignalHandler handler = signal_handler(SIGUSR2, [&](int) {
    ++runs;
    ran.set();
  });
  for (int i = 1; i <= 3; ++i) {
    ran.clear();
    ASSERT_EQ(::raise(SIGUSR2), 0);
    ASSERT_TRUE(ran.wait(10s));
    EXPECT_EQ(runs, i);
  }
}

TEST(SignalHandler, TwoHandlersOfOneSignalBothRun) {
  Event first_ran, second_ran;
  SignalHandler first = signal_handler(SIGUSR2, [&](int) { first_ran.set(); });
  SignalHandler second = signal_handler(SIGUSR2, [&](int) { second_ran.set(); });
  ASSERT_EQ(::raise(SIGUSR2), 0);
  EXPECT_TRUE(first_ran.wait(10s));
  EXPECT_TRUE(second_ran.wait(10s));
}

TEST(SignalHandler, ACancelledHandlerNoLongerRunsButTheOtherDoes) {
  int cancelled_runs = 0;
  Event kept_ran;
  SignalHandler cancelled = signal_handler(SIGUSR2, [&](int) { ++cancelled_runs; });
  SignalHandler kept = signal_handler(SIGUSR2, [&](int) { kept_ran.set(); });
  cancelled.cancel();
  EXPECT_FALSE(cancelled.active());
  EXPECT_TRUE(blocked_here(SIGUSR2));  // `kept` still holds it
  ASSERT_EQ(::raise(SIGUSR2), 0);
  ASSERT_TRUE(kept_ran.wait(10s));
  EXPECT_EQ(cancelled_runs, 0);
}

TEST(SignalHandler, RemovingTheLastHandlerRestoresTheMask) {
  ASSERT_FALSE(blocked_here(SIGUSR2));
  {
    SignalHandler a = signal_handler(SIGUSR2, [](int) {});
    SignalHandler b = signal_handler(SIGUSR2, [](int) {});
    EXPECT_TRUE(blocked_here(SIGUSR2));
    a.cancel();
    EXPECT_TRUE(blocked_here(SIGUSR2));
  }
  EXPECT_FALSE(blocked_here(SIGUSR2));
  // A signal that was blocked before stays blocked after.
  ASSERT_TRUE(blocked_here(SIGUSR1));
  {
    SignalHandler c = signal_handler(SIGUSR1, [](int) {});
  }
  EXPECT_TRUE(blocked_here(SIGUSR1));
}

TEST(SignalHandler, APendingSignalIsConsumedWhenTheLastHandlerGoes) {
  // Raised while handled but not yet read: removing the handler must not unblock it into its
  // default action (which would end this test program).
  {
    SignalHandler handler = signal_handler(SIGUSR2, [](int) {});
    ASSERT_EQ(::raise(SIGUSR2), 0);
  }
  EXPECT_FALSE(blocked_here(SIGUSR2));
  sigset_t pending;
  sigpending(&pending);
  EXPECT_EQ(sigismember(&pending, SIGUSR2), 0);
}

TEST(SignalHandler, AMovedRegistrationStaysRegistered) {
  Event ran;
  SignalHandler outer;
  EXPECT_FALSE(outer.active());
  {
    SignalHandler inner = signal_handler(SIGUSR2, [&](int) { ran.set(); });
    outer = std::move(inner);
  }
  ASSERT_EQ(::raise(SIGUSR2), 0);
  EXPECT_TRUE(ran.wait(10s));
}

TEST(SignalHandler, AFailingHandlerIsReportedAndDeliveryGoesOn) {
  int runs = 0;
  Event ran;
  SignalHandler handler = signal_handler(SIGUSR2, [&](int) {
    ++runs;
    ran.set();
    throw std::runtime_error("handler exploded");
  });
  testing::internal::CaptureStderr();
  ASSERT_EQ(::raise(SIGUSR2), 0);
  ASSERT_TRUE(ran.wait(10s));
  sleep(10ms);  // the handler's greenlet finishes (and reports) after it set the event
  ran.clear();
  ASSERT_EQ(::raise(SIGUSR2), 0);
  ASSERT_TRUE(ran.wait(10s));
  sleep(10ms);
  std::string reported = testing::internal::GetCapturedStderr();
  EXPECT_EQ(runs, 2);
  EXPECT_NE(reported.find("handler exploded"), std::string::npos) << reported;
  EXPECT_NE(reported.find("SIGUSR2"), std::string::npos) << reported;
}

TEST(SignalHandler, RefusesSignalsThatCannotBeRead) {
  for (int sig : {SIGKILL, SIGSTOP, SIGSEGV, 0, NSIG, -1}) {
    try {
      SignalHandler h = signal_handler(sig, [](int) {});
      ADD_FAILURE() << "signal " << sig << " was accepted";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code(), make_error_code(Errc::invalid_argument)) << sig;
    }
  }
}

TEST(WaitSignal, ReturnsTheSignalThatCame) {
  spawn([] { ::raise(SIGUSR2); });  // runs once the main greenlet parks, i.e. once it waits
  EXPECT_EQ(wait_signal({SIGUSR1, SIGUSR2}, 10s), SIGUSR2);
  EXPECT_FALSE(blocked_here(SIGUSR2));
}

TEST(WaitSignal, TimesOut) {
  try {
    wait_signal({SIGUSR2}, 20ms);
    FAIL() << "no timeout";
  } catch (const std::system_error& e) {
    EXPECT_TRUE(is_timed_out(e)) << e.what();
  }
  EXPECT_FALSE(blocked_here(SIGUSR2));
}

TEST(WaitSignal, EndsWithATimeoutScope) {
  Timeout scope(20ms);
  try {
    wait_signal({SIGUSR2});
    FAIL() << "no timeout";
  } catch (const TimeoutError& e) {
    EXPECT_TRUE(e.is(scope));
  }
  EXPECT_FALSE(blocked_here(SIGUSR2));
}

TEST(WaitSignal, AKilledWaiterUnregisters) {
  auto waiter = spawn([] { return wait_signal({SIGUSR2}); });
  sleep(1ms);  // let it start waiting
  EXPECT_TRUE(blocked_here(SIGUSR2));
  waiter->kill();
  EXPECT_TRUE(waiter->killed());
  EXPECT_FALSE(blocked_here(SIGUSR2));
}

TEST(WaitSignal, SeveralGreenletsAndAHandlerAllSeeOneSignal) {
  Event handled;
  SignalHandler handler = signal_handler(SIGUSR2, [&](int) { handled.set(); });
  auto a = spawn([] { return wait_signal({SIGUSR2}, 10s); });
  auto b = spawn([] { return wait_signal({SIGUSR2, SIGUSR1}, 10s); });
  sleep(1ms);
  ASSERT_EQ(::raise(SIGUSR2), 0);
  EXPECT_EQ(a.get(), SIGUSR2);
  EXPECT_EQ(b.get(), SIGUSR2);
  EXPECT_TRUE(handled.wait(10s));
}

TEST(WaitSignal, RefusesAnEmptySet) {
  try {
    wait_signal(std::span<const int>());
    FAIL();
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), make_error_code(Errc::invalid_argument));
  }
}

// The scenario: a server with a live connection gets SIGTERM; its handler stops the
// server gracefully. New connections are refused from then on, the live one is served to its end,
// and serve_forever returns once it has.
TEST(SignalHandler, SigtermStopsAServerThatDrainsItsConnections) {
  net::StreamServer server(net::Address::ipv4_loopback(0), [](net::Socket connection, const net::Address&) {
    connection.set_timeout(10s);
    char buffer[256];
    while (std::size_t n = connection.recv(buffer, sizeof buffer)) connection.send_all(buffer, n);
  });
  Event stopping, stopped;
  bool drained = false;
  SignalHandler on_term = signal_handler(SIGTERM, [&](int) {
    stopping.set();
    drained = server.stop(10s);
    stopped.set();
  });
  server.start();

  auto client = spawn([&] {
    net::Socket live = net::Socket::tcp();
    live.set_timeout(10s);
    live.connect(net::Address::ipv4_loopback(server.port()));
    live.send_all("before\n");
    EXPECT_EQ(live.recv_exact(7), "before\n");

    ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
    ASSERT_TRUE(stopping.wait(10s));
    net::Socket late = net::Socket::tcp();
    std::error_code refused;
    late.connect(net::Address::ipv4_loopback(server.port()), 10s, refused);
    EXPECT_TRUE(refused) << "the listener should be closed";

    live.send_all("after\n");  // the stopping server still serves the live connection
    EXPECT_EQ(live.recv_exact(6), "after\n");
    live.close();
  });
  server.serve_forever();
  client.get();
  ASSERT_TRUE(stopped.wait(10s));
  EXPECT_TRUE(drained);
}

}  // namespace
}  // namespace fern
