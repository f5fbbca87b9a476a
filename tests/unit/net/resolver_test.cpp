// resolve(): the same answers as getaddrinfo (compared with a direct call made here), numeric
// addresses without a lookup, clear EAI_* errors, timeouts that leave nothing behind, and the hub
// running other greenlets while lookups are under way.
#include "fern/net/resolver.hpp"

#include <gtest/gtest.h>
#include <netdb.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fern/base/error.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/thread_pool.hpp"
#include "fern/hub/timeout.hpp"

namespace fern::net {
namespace {

using namespace std::chrono_literals;

// What getaddrinfo itself says, called directly (blocking is fine for a reference answer).
std::vector<std::string> system_answer(const std::string& host, int family) {
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* list = nullptr;
  if (::getaddrinfo(host.c_str(), "80", &hints, &list) != 0) return {};
  std::vector<std::string> out;
  for (addrinfo* p = list; p; p = p->ai_next) out.push_back(Address(p->ai_addr, p->ai_addrlen).to_string());
  ::freeaddrinfo(list);
  return out;
}

std::vector<std::string> fern_answer(const std::string& host, int family) {
  ResolveOptions options;
  options.family = family;
  std::vector<std::string> out;
  for (const Address& a : resolve(host, 80, options)) out.push_back(a.to_string());
  return out;
}

std::string hostname() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

// Holds every thread of the shared pool until released, so lookups queue behind it: the way to
// make a lookup slow on purpose without touching the system's resolver configuration.
class PoolBlocker {
 public:
  PoolBlocker() : gate_(std::make_shared<Gate>()) {
    for (int i = 0; i < kJobs; ++i) {
      ThreadPool::shared().submit([gate = gate_] {  // jobs may outlive the blocker: they share the gate
        std::unique_lock lock(gate->mutex);
        gate->released_cv.wait(lock, [&] { return gate->released; });
      });
    }
    // A watchdog: a hub blocked by a lookup could never release the pool itself.
    watchdog_ = std::thread([gate = gate_] {
      std::unique_lock lock(gate->mutex);
      gate->released_cv.wait_for(lock, 30s, [&] { return gate->released; });
      gate->released = true;
      gate->released_cv.notify_all();
    });
  }
  ~PoolBlocker() {
    release();
    watchdog_.join();
  }
  void release() {
    std::lock_guard lock(gate_->mutex);
    gate_->released = true;
    gate_->released_cv.notify_all();
  }

 private:
  struct Gate {
    std::mutex mutex;
    std::condition_variable released_cv;
    bool released = false;
  };
  static constexpr int kJobs = 256;  // more than any pool size (FERN_THREADPOOL_SIZE, 16 by default)
  std::shared_ptr<Gate> gate_;
  std::thread watchdog_;
};

TEST(Resolver, LocalhostAnswersAsGetaddrinfo) {
  for (int family : {AF_UNSPEC, AF_INET}) {
    std::vector<std::string> expected = system_answer("localhost", family);
    ASSERT_FALSE(expected.empty());
    EXPECT_EQ(fern_answer("localhost", family), expected) << "family " << family;
  }
  std::vector<Address> addresses = resolve("localhost", 6379);
  ASSERT_FALSE(addresses.empty());
  for (const Address& a : addresses) EXPECT_EQ(a.port(), 6379);
  EXPECT_TRUE(std::any_of(addresses.begin(), addresses.end(),
                          [](const Address& a) { return a.host() == "127.0.0.1"; }));
}

TEST(Resolver, MachinesHostnameComesFromTheHostsFileAsGetaddrinfo) {
  const std::string name = hostname();
  ASSERT_FALSE(name.empty());
  std::vector<std::string> expected = system_answer(name, AF_UNSPEC);
  ASSERT_FALSE(expected.empty()) << name;
  EXPECT_EQ(fern_answer(name, AF_UNSPEC), expected);
}

TEST(Resolver, NumericAddressesNeedNoLookup) {
  std::vector<Address> v4 = resolve("127.0.0.1", 80);
  ASSERT_EQ(v4.size(), 1u);
  EXPECT_EQ(v4[0].to_string(), "127.0.0.1:80");
  std::vector<Address> v6 = resolve("::1", 443);
  ASSERT_EQ(v6.size(), 1u);
  EXPECT_EQ(v6[0].to_string(), "[::1]:443");
  ResolveOptions only_v4;
  only_v4.family = AF_INET;
  EXPECT_THROW(resolve("::1", 80, only_v4), std::system_error);  // an IPv6 literal is no IPv4 address
}

TEST(Resolver, NonexistentNameIsEaiNoname) {
  try {
    resolve("no-such-host.fern-test.invalid", 80);
    FAIL() << "a name under .invalid resolved";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::error_code(EAI_NONAME, resolver_category())) << e.what();
    EXPECT_NE(std::string(e.what()).find("no-such-host.fern-test.invalid"), std::string::npos);
    EXPECT_STREQ(e.code().category().name(), "resolver");
  }
}

TEST(Resolver, TimeoutFailsTheCallerAndLeavesNothingBehind) {
  {
    PoolBlocker blocker;
    ResolveOptions options;
    options.timeout = 20ms;
    try {
      resolve("localhost", 80, options);
      FAIL() << "the lookup finished behind a blocked pool";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code(), make_error_code(Errc::timed_out));
      EXPECT_NE(std::string(e.what()).find("localhost"), std::string::npos) << e.what();
    }
    // An enclosing Timeout scope sees its own error, not the resolver's.
    Timeout scope(20ms);
    try {
      resolve("localhost", 80);
      FAIL() << "the scope did not fire";
    } catch (const TimeoutError& e) {
      EXPECT_TRUE(e.is(scope));
    }
  }
  // The abandoned lookups finished on the pool and were dropped; the resolver works on.
  EXPECT_FALSE(resolve("localhost", 80).empty());
}

TEST(Resolver, KilledLookupLeavesNothingBehind) {
  {
    PoolBlocker blocker;
    auto lookup = spawn([] { return resolve("localhost", 80); });
    fern::sleep(0ms);  // let it park
    lookup->kill();
    EXPECT_TRUE(lookup->killed());
  }
  EXPECT_FALSE(resolve("localhost", 80).empty());
}

TEST(Resolver, HubKeepsRunningWhileLookupsAreUnderWay) {
  constexpr int kLookups = 30;
  const std::vector<std::string> names = {"localhost", hostname(), "no-such-host.fern-test.invalid"};
  int finished = 0;
  int failed = 0;
  int expected_failures = 0;
  std::vector<GreenletRef<>> lookups;
  {
    PoolBlocker blocker;
    for (int i = 0; i < kLookups; ++i) {
      expected_failures += i % 3 == 2;
      lookups.push_back(spawn([&, i] {
        try {
          resolve(names[static_cast<std::size_t>(i) % names.size()], 80);
        } catch (const std::system_error&) {
          ++failed;
        }
        ++finished;
      }));
    }
    // Every lookup is parked behind the blocked pool, yet another greenlet keeps ticking.
    int ticks = 0;
    auto ticker = spawn([&] {
      for (int i = 0; i < 10; ++i, ++ticks) fern::sleep(1ms);
    });
    ticker.get();
    EXPECT_EQ(ticks, 10);
    EXPECT_EQ(finished, 0);
  }
  for (auto& g : lookups) g.get();
  EXPECT_EQ(finished, kLookups);
  EXPECT_EQ(failed, expected_failures);  // the .invalid third
}

// Reverse resolution answers as getnameinfo does (the hosts file's name for 127.0.0.1, here and on
// any Debian machine "localhost"); an address it cannot name is a clear error.
TEST(Resolver, ResolveNameAnswersAsGetnameinfo) {
  const Address loopback = Address::ipv4_loopback(80);
  char expected[NI_MAXHOST];
  ASSERT_EQ(
      ::getnameinfo(loopback.data(), loopback.size(), expected, sizeof expected, nullptr, 0, NI_NAMEREQD), 0);
  EXPECT_EQ(resolve_name(loopback), expected);
  try {
    resolve_name(Address{});
    ADD_FAILURE() << "an empty address has no host name";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().category(), resolver_category());
    EXPECT_NE(std::string(e.what()).find("reverse resolving"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fern::net
