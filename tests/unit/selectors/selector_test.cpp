// The selector contract (selector.hpp), run against every implementation with real socketpairs and
// loopback TCP connections.
#include "fern/selectors/selector.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fern/base/error.hpp"
#include "fern/selectors/epoll_selector.hpp"
#include "fern/selectors/poll_selector.hpp"
#include "fern/selectors/select_selector.hpp"
#include "socket_fixtures.hpp"

namespace fern::selectors {
namespace {

using namespace std::chrono_literals;
using testing::drain;
using testing::Fd;
using testing::fill_send_buffer;
using testing::socket_pair;
using testing::tcp_pair;
using testing::write_all;

// Long enough never to fire on a correct selector, short enough that a broken one fails instead of hanging.
constexpr auto kPatience = 10s;

template <class S>
class SelectorTest : public ::testing::Test {
 protected:
  S selector_;
};

using Implementations = ::testing::Types<EpollSelector, PollSelector, SelectSelector>;
TYPED_TEST_SUITE(SelectorTest, Implementations);

TYPED_TEST(SelectorTest, NothingRegisteredTimesOutEmpty) {
  EXPECT_TRUE(this->selector_.select(0s).empty());
  EXPECT_TRUE(this->selector_.select(5ms).empty());
  EXPECT_TRUE(this->selector_.select(-1s).empty());
}

TYPED_TEST(SelectorTest, ReadReadinessFollowsThePeer) {
  auto [a, b] = socket_pair();
  this->selector_.register_fd(b.get(), EVENT_READ);
  EXPECT_TRUE(this->selector_.select(0s).empty());
  EXPECT_TRUE(this->selector_.select(2ms).empty());

  write_all(a.get(), "ping");
  auto ready = this->selector_.select(kPatience);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].first.fd, b.get());
  EXPECT_EQ(ready[0].second, EVENT_READ);

  EXPECT_EQ(drain(b.get()), 4u);
  EXPECT_TRUE(this->selector_.select(0s).empty());
}

TYPED_TEST(SelectorTest, LevelTriggeredReportsAgainUntilRead) {
  auto [a, b] = socket_pair();
  this->selector_.register_fd(b.get(), EVENT_READ);
  write_all(a.get(), "x");
  EXPECT_EQ(this->selector_.select(kPatience).size(), 1u);
  EXPECT_EQ(this->selector_.select(kPatience).size(), 1u);
  drain(b.get());
  EXPECT_TRUE(this->selector_.select(0s).empty());
}

TYPED_TEST(SelectorTest, ReportsOnlyTheEventsAskedFor) {
  auto [a, b] = socket_pair();
  this->selector_.register_fd(a.get(), EVENT_READ | EVENT_WRITE);
  auto ready = this->selector_.select(kPatience);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].second, EVENT_WRITE);  // writable, nothing to read yet

  write_all(b.get(), "x");
  ready = this->selector_.select(kPatience);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].second, EVENT_READ | EVENT_WRITE);
  EXPECT_EQ(ready[0].first.events, EVENT_READ | EVENT_WRITE);
}

TYPED_TEST(SelectorTest, WriteReadinessReturnsWhenThePeerDrains) {
  auto [a, b] = socket_pair();
  fill_send_buffer(a.get());
  this->selector_.register_fd(a.get(), EVENT_WRITE);
  EXPECT_TRUE(this->selector_.select(0s).empty());
  EXPECT_GT(drain(b.get()), 0u);
  auto ready = this->selector_.select(kPatience);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].second, EVENT_WRITE);
}

TYPED_TEST(SelectorTest, DataComesBackWithTheKey) {
  auto sockets = socket_pair();  // named, not bound: lambdas below capture the ends
  Fd& a = sockets.first;
  Fd& b = sockets.second;
  int calls = 0;
  std::function<void(int)> on_read = [&](int fd) { calls += fd == b.get(); };
  const SelectorKey& key = this->selector_.register_fd(b.get(), EVENT_READ, on_read);
  EXPECT_EQ(key.fd, b.get());
  EXPECT_EQ(key.events, EVENT_READ);

  write_all(a.get(), "x");
  for (auto& [ready_key, events] : this->selector_.select(kPatience)) {
    std::any_cast<std::function<void(int)>&>(ready_key.data)(ready_key.fd);
  }
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(std::any_cast<std::function<void(int)>>(&this->selector_.get_key(b.get()).data));
}

TYPED_TEST(SelectorTest, ModifyChangesEventsAndKeepsOrReplacesData) {
  auto [a, b] = socket_pair();
  this->selector_.register_fd(a.get(), EVENT_READ, std::string("first"));
  EXPECT_TRUE(this->selector_.select(0s).empty());

  const SelectorKey& key = this->selector_.modify(a.get(), EVENT_WRITE);
  EXPECT_EQ(key.events, EVENT_WRITE);
  EXPECT_EQ(std::any_cast<std::string>(key.data), "first");
  auto ready = this->selector_.select(kPatience);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].second, EVENT_WRITE);

  this->selector_.modify(a.get(), EVENT_READ, std::string("second"));
  EXPECT_TRUE(this->selector_.select(0s).empty());
  EXPECT_EQ(std::any_cast<std::string>(this->selector_.get_key(a.get()).data), "second");

  // Same events, new data: only the data changes.
  this->selector_.modify(a.get(), EVENT_READ, 7);
  EXPECT_EQ(std::any_cast<int>(this->selector_.get_key(a.get()).data), 7);
  write_all(b.get(), "x");
  ready = this->selector_.select(kPatience);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].second, EVENT_READ);
  EXPECT_EQ(std::any_cast<int>(ready[0].first.data), 7);
}

TYPED_TEST(SelectorTest, UnregisterReturnsTheKeyAndSilencesTheFd) {
  auto [a, b] = socket_pair();
  this->selector_.register_fd(b.get(), EVENT_READ, std::string("payload"));
  write_all(a.get(), "x");
  SelectorKey key = this->selector_.unregister(b.get());
  EXPECT_EQ(key.fd, b.get());
  EXPECT_EQ(key.events, EVENT_READ);
  EXPECT_EQ(std::any_cast<std::string>(key.data), "payload");
  EXPECT_TRUE(this->selector_.get_map().empty());
  EXPECT_TRUE(this->selector_.select(0s).empty());
  // The fd can come back.
  this->selector_.register_fd(b.get(), EVENT_READ);
  EXPECT_EQ(this->selector_.select(kPatience).size(), 1u);
}

TYPED_TEST(SelectorTest, MisuseThrowsAndLeavesTheMapAlone) {
  auto [a, b] = socket_pair();
  this->selector_.register_fd(a.get(), EVENT_READ, 1);
  EXPECT_THROW(this->selector_.register_fd(a.get(), EVENT_WRITE), std::invalid_argument);
  EXPECT_THROW(this->selector_.register_fd(b.get(), 0), std::invalid_argument);
  EXPECT_THROW(this->selector_.register_fd(b.get(), 4), std::invalid_argument);
  EXPECT_THROW(this->selector_.register_fd(-1, EVENT_READ), std::invalid_argument);
  EXPECT_THROW(this->selector_.modify(a.get(), 0), std::invalid_argument);
  EXPECT_THROW(this->selector_.unregister(b.get()), std::out_of_range);
  EXPECT_THROW(this->selector_.modify(b.get(), EVENT_READ), std::out_of_range);
  EXPECT_THROW(this->selector_.get_key(b.get()), std::out_of_range);
  ASSERT_EQ(this->selector_.get_map().size(), 1u);
  const SelectorKey& key = this->selector_.get_map().at(a.get());
  EXPECT_EQ(key.events, EVENT_READ);
  EXPECT_EQ(std::any_cast<int>(key.data), 1);

  try {
    this->selector_.register_fd(a.get(), EVENT_READ);
    FAIL() << "registered twice";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("already registered"), std::string::npos) << e.what();
  }
}

TYPED_TEST(SelectorTest, HangupIsReportedAsReadable) {
  auto [a, b] = socket_pair();
  this->selector_.register_fd(b.get(), EVENT_READ);
  a.reset();
  auto ready = this->selector_.select(kPatience);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].second, EVENT_READ);
  char byte;
  EXPECT_EQ(::read(b.get(), &byte, 1), 0);  // end of stream
}

TYPED_TEST(SelectorTest, TcpAcceptReadAndResetAreReported) {
  sockaddr_in address;
  Fd listener = testing::tcp_listener(address);
  this->selector_.register_fd(listener.get(), EVENT_READ);
  EXPECT_TRUE(this->selector_.select(0s).empty());

  Fd client = testing::tcp_connect(address);
  auto ready = this->selector_.select(kPatience);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].first.fd, listener.get());
  Fd server(::accept(listener.get(), nullptr, nullptr));

  this->selector_.register_fd(server.get(), EVENT_READ);
  write_all(client.get(), "hello");
  ready = this->selector_.select(kPatience);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].first.fd, server.get());
  EXPECT_EQ(drain(server.get()), 5u);

  // An abortive close (RST) wakes the reader, whose next read reports the reset.
  linger abort{1, 0};
  ::setsockopt(client.get(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  client.reset();
  ready = this->selector_.select(kPatience);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_TRUE(ready[0].second & EVENT_READ);
  char byte;
  EXPECT_EQ(::read(server.get(), &byte, 1), -1);
  EXPECT_EQ(errno, ECONNRESET);
}

TYPED_TEST(SelectorTest, ReportsExactlyTheReadyFdsAmongMany) {
  std::vector<std::pair<Fd, Fd>> pairs;
  for (int i = 0; i < 100; ++i) {
    pairs.push_back(socket_pair());
    this->selector_.register_fd(pairs.back().second.get(), EVENT_READ, i);
  }
  for (int i = 0; i < 100; i += 3) write_all(pairs[i].first.get(), "x");
  // Unregister some ready and some idle fds from the middle.
  for (int i = 30; i < 40; ++i) this->selector_.unregister(pairs[i].second.get());

  std::vector<int> seen;
  for (auto& [key, events] : this->selector_.select(kPatience)) {
    EXPECT_EQ(events, EVENT_READ);
    EXPECT_EQ(key.fd, pairs[std::any_cast<int>(key.data)].second.get());
    seen.push_back(std::any_cast<int>(key.data));
  }
  std::sort(seen.begin(), seen.end());
  std::vector<int> expected;
  for (int i = 0; i < 100; i += 3) {
    if (i < 30 || i >= 40) expected.push_back(i);
  }
  EXPECT_EQ(seen, expected);
}

TYPED_TEST(SelectorTest, CallbacksMayUnregisterAnyFdWhileTheListIsWalked) {
  auto [a1, b1] = socket_pair();
  auto [a2, b2] = socket_pair();
  using Callback = std::function<void()>;
  auto& selector = this->selector_;
  const int fd1 = b1.get(), fd2 = b2.get();
  int calls = 0;
  // Each callback unregisters both fds, its own included, which destroys the registered copy of itself.
  auto make = [&](std::string tag) {
    return Callback([&selector, fd1, fd2, &calls, tag] {
      ++calls;
      for (int fd : {fd1, fd2}) {
        if (selector.get_map().contains(fd)) selector.unregister(fd);
      }
      EXPECT_FALSE(tag.empty());
    });
  };
  selector.register_fd(fd1, EVENT_READ, make("one"));
  selector.register_fd(fd2, EVENT_READ, make("two"));
  write_all(a1.get(), "x");
  write_all(a2.get(), "x");
  auto ready = selector.select(kPatience);
  while (ready.size() < 2) {  // the kernel may report them one select() apart
    auto more = selector.select(kPatience);
    ready.insert(ready.end(), more.begin(), more.end());
  }
  for (auto& [key, events] : ready) std::any_cast<Callback&>(key.data)();
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(selector.get_map().empty());
}

TYPED_TEST(SelectorTest, CloseForgetsEverythingAndRefusesFurtherUse) {
  auto sockets = socket_pair();  // named, not bound: lambdas below capture the ends
  Fd& a = sockets.first;
  Fd& b = sockets.second;
  this->selector_.register_fd(a.get(), EVENT_READ);
  EXPECT_FALSE(this->selector_.closed());
  this->selector_.close();
  EXPECT_TRUE(this->selector_.closed());
  EXPECT_TRUE(this->selector_.get_map().empty());
  this->selector_.close();  // idempotent

  auto expect_closed = [](auto&& call) {
    try {
      call();
      ADD_FAILURE() << "a closed selector accepted a call";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code(), Errc::closed);
      EXPECT_NE(std::string(e.what()).find("selector is closed"), std::string::npos) << e.what();
    }
  };
  expect_closed([&] { this->selector_.select(0s); });
  expect_closed([&] { this->selector_.register_fd(b.get(), EVENT_READ); });
  expect_closed([&] { this->selector_.modify(a.get(), EVENT_READ); });
  expect_closed([&] { this->selector_.unregister(a.get()); });
  expect_closed([&] { this->selector_.get_key(a.get()); });
}

// Interrupting signals land on the selecting thread; select() must retry rather than throw EINTR.
std::atomic<int> g_interruptions{0};
extern "C" void count_interruption(int) { g_interruptions.fetch_add(1, std::memory_order_relaxed); }

TYPED_TEST(SelectorTest, SignalsAreRetriedWithTheRemainingTimeout) {
  struct sigaction action {};
  action.sa_handler = count_interruption;  // no SA_RESTART: the wait returns EINTR
  struct sigaction previous {};
  ASSERT_EQ(::sigaction(SIGUSR1, &action, &previous), 0);
  g_interruptions = 0;

  auto sockets = socket_pair();  // named, not bound: lambdas below capture the ends
  Fd& a = sockets.first;
  Fd& b = sockets.second;
  this->selector_.register_fd(b.get(), EVENT_READ);
  const pthread_t selecting = ::pthread_self();
  // jthreads: a failing select() unwinds through their destructors, which stop and join them.
  std::jthread interrupter([&](std::stop_token stop) {
    while (!stop.stop_requested()) {
      ::pthread_kill(selecting, SIGUSR1);
      std::this_thread::sleep_for(1ms);
    }
  });
  ReadyList ready;
  {
    // Nothing arrives: the selector keeps waiting through the signals until its deadline.
    EXPECT_TRUE(this->selector_.select(50ms).empty());
    const int during_timeout = g_interruptions.load();
    // Data arrives only after many more interruptions; select() without a timeout must deliver it.
    std::jthread writer([&](std::stop_token stop) {
      while (!stop.stop_requested() && g_interruptions.load() < during_timeout + 20) {
        std::this_thread::sleep_for(1ms);
      }
      write_all(a.get(), "x");
    });
    ready = this->selector_.select(std::nullopt);
  }
  interrupter.request_stop();
  interrupter.join();
  ::sigaction(SIGUSR1, &previous, nullptr);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].first.fd, b.get());
  EXPECT_GT(g_interruptions.load(), 0);
}

TEST(TimeoutToMilliseconds, RoundsUpAndCaps) {
  EXPECT_EQ(timeout_to_milliseconds(std::nullopt), -1);
  EXPECT_EQ(timeout_to_milliseconds(0s), 0);
  EXPECT_EQ(timeout_to_milliseconds(-5s), 0);
  EXPECT_EQ(timeout_to_milliseconds(1ns), 1);
  EXPECT_EQ(timeout_to_milliseconds(1500us), 2);
  EXPECT_EQ(timeout_to_milliseconds(3ms), 3);
  EXPECT_EQ(timeout_to_milliseconds(kForever), INT_MAX);
}

}  // namespace
}  // namespace fern::selectors
