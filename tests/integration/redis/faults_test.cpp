// The Redis client through a FaultProxy in front of a real redis-server: a reply stalled mid-frame
// ends in a timeout, not a hang, and the connection is dropped with it; a connection cut or reset
// mid-reply fails every pending caller and never hands one caller another's reply; clear() lets the
// next call reconnect and succeed; and a non-idempotent write (INCR) is never silently sent again.
// Every failure carries its fern::Outcome: not_applied only when the request provably never left
// the client, unknown once its bytes were handed to the kernel (a cut after that point is invisible
// to the client, so the server is asked what it holds). A second client connected straight to the
// server tells what the server holds.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "fault_proxy.hpp"
#include "fault_test_helpers.hpp"
#include "fern/base/error.hpp"
#include "fern/clients/redis/client.hpp"
#include "fern/clients/redis/reply_error.hpp"
#include "fern/clients/redis/session.hpp"
#include "fern/clients/redis/transaction.hpp"
#include "fern/hub/spawn.hpp"
#include "redis_test_support.hpp"

namespace redis = fern::redis;
using namespace std::chrono_literals;
using fern_test::attempt;
using fern_test::bounded;
using fern_test::Direction;
using fern_test::FaultProxy;
using fern_test::key;
using fern_test::Result;

namespace {

// The client's own bound on each call, which a stalled reply must run into.
constexpr auto kCommandTimeout = 1s;
constexpr int kCallers = 8;

// A connection failure, as opposed to a reply from the server.
bool is_connection_error(const Result& r) {
  return r.error != redis::Errc::error_reply &&
         (r.error == fern::Errc::unexpected_eof || r.error == std::errc::connection_reset ||
          r.error == std::errc::broken_pipe);
}

// Every value is 20 bytes, so every GET reply is "$20\r\n" + 20 bytes + "\r\n".
std::string value(int i, char tag) { return fern_test::padded("value-", i, 20, tag); }
constexpr std::size_t kGetReplySize = 5 + 20 + 2;

class RedisFaultsTest : public ::testing::Test {
 protected:
  RedisFaultsTest() { fern_redis_test::flush_shared_server(); }

  redis::Options proxied_options() const {
    redis::Options o = fern_redis_test::tcp_options(server_);
    o.port = proxy_.port();
    o.command_timeout = kCommandTimeout;
    o.reconnect_backoff = 1ms;
    return o;
  }

  // INCR through the proxy, bounded: the non-idempotent call whose fate the tests follow.
  Result incr_counter() {
    Result r;
    bounded([&] { r = attempt([&] { return std::to_string(client_.incr("counter")); }); });
    return r;
  }

  fern_test::RedisServer& server_ = fern_redis_test::shared_server();
  FaultProxy proxy_{"127.0.0.1", static_cast<std::uint16_t>(server_.port())};
  redis::Client client_{proxied_options()};
  // Straight to the server, past the proxy: what the server really holds.
  redis::Client direct_{fern_redis_test::tcp_options(server_)};
};

TEST_F(RedisFaultsTest, StallMidReplyEndsInATimeoutThenTheNextCallGetsItsOwnReply) {
  const std::string big(1000, 'b');
  direct_.set("big", big);
  direct_.set("small", "s");
  ASSERT_EQ(client_.ping(), "PONG");
  proxy_.stall_after(Direction::downstream, 3);  // "$10" of "$1000\r\n..."
  const std::uint64_t before = proxy_.bytes_forwarded(Direction::downstream);
  Result r;
  bounded([&] { r = attempt([&] { return client_.get("big"); }); });
  EXPECT_EQ(r.error, fern::Errc::timed_out) << r.what;
  EXPECT_TRUE(r.unknown()) << r.what;
  EXPECT_EQ(proxy_.bytes_forwarded(Direction::downstream) - before, 3u);
  // The timeout dropped the connection, so the held reply, flowing after clear(), has nowhere to go:
  // the next call reconnects and gets its own.
  proxy_.clear();
  bounded([&] { EXPECT_EQ(client_.get("small"), "s"); });
  EXPECT_EQ(client_.stats().connects, 2u);
}

TEST_F(RedisFaultsTest, StalledRequestTimesOutButMayStillBeAppliedLater) {
  ASSERT_EQ(client_.ping(), "PONG");
  proxy_.stall(Direction::upstream);
  Result r = incr_counter();
  EXPECT_EQ(r.error, fern::Errc::timed_out) << r.what;
  EXPECT_TRUE(r.unknown()) << r.what;
  EXPECT_EQ(direct_.get("counter"), std::nullopt);
  // Rightly unknown: the request was only held, and reaches the server once the network recovers.
  proxy_.clear();
  bounded([&] { EXPECT_EQ(client_.ping(), "PONG"); });
  EXPECT_EQ(direct_.get("counter"), "1");
}

TEST_F(RedisFaultsTest, CutMidReplyFailsEveryPendingCallerAndNoReplyGoesAstray) {
  for (int i = 0; i < kCallers; ++i) direct_.set(key(i), value(i, 'a'));
  ASSERT_EQ(client_.ping(), "PONG");
  // Three whole GET replies, then ten bytes of the fourth.
  proxy_.cut_after(Direction::downstream, 3 * kGetReplySize + 10);
  std::vector<Result> results(kCallers);
  std::vector<fern::GreenletRef<>> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.push_back(fern::spawn([&, i] { results[i] = attempt([&] { return client_.get(key(i)); }); }));
  }
  bounded([&] { fern::joinall(callers); });
  int succeeded = 0;
  for (int i = 0; i < kCallers; ++i) {
    if (results[i].value) {
      ++succeeded;
      EXPECT_EQ(results[i].value, value(i, 'a')) << "caller " << i << " got another caller's reply";
    } else {
      EXPECT_EQ(results[i].error, fern::Errc::unexpected_eof) << results[i].what;
      EXPECT_NE(results[i].what.find("connection lost"), std::string::npos) << results[i].what;
      EXPECT_TRUE(results[i].unknown()) << results[i].what;  // every GET went out in one send
    }
  }
  EXPECT_EQ(succeeded, 3);
  // Recovery: the next call reconnects through the (now clean) proxy.
  proxy_.clear();
  bounded([&] { EXPECT_EQ(client_.get(key(5)), value(5, 'a')); });
  EXPECT_EQ(client_.stats().connects, 2u);
  EXPECT_EQ(proxy_.connections_accepted(), 2u);
}

TEST_F(RedisFaultsTest, ResetAmidConcurrentSetsAndGetsNeverCrossesReplies) {
  for (int i = 0; i < kCallers; ++i) direct_.set(key(i), value(i, 'a'));
  ASSERT_EQ(client_.ping(), "PONG");
  // All the SET replies (+OK, 5 bytes each) and part of the GET replies that follow them.
  proxy_.reset_after(Direction::downstream, kCallers * 5 + kGetReplySize + 10);
  std::vector<Result> sets(kCallers), gets(kCallers);
  std::vector<fern::GreenletRef<>> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.push_back(fern::spawn([&, i] {
      sets[i] = attempt([&]() -> std::optional<std::string> {
        return client_.set(key(i), value(i, 'b')) ? "OK" : "not set";
      });
      if (sets[i].value) gets[i] = attempt([&] { return client_.get(key(i)); });
    }));
  }
  bounded([&] { fern::joinall(callers); });
  int failed = 0;
  for (int i = 0; i < kCallers; ++i) {
    for (const Result* r : {&sets[i], &gets[i]}) {
      if (r->value || r->error == std::error_code()) continue;  // succeeded, or never called
      ++failed;
      EXPECT_TRUE(is_connection_error(*r)) << r->error.message() << ": " << r->what;
      EXPECT_TRUE(r->outcome) << "a lost call without an outcome: " << r->what;
    }
    if (gets[i].value) {
      EXPECT_EQ(gets[i].value, value(i, 'b')) << "caller " << i;
    }
    // A SET that reported success is on the server.
    if (sets[i].value) {
      EXPECT_EQ(direct_.get(key(i)), value(i, 'b')) << "caller " << i;
    }
  }
  EXPECT_GT(failed, 0);
  proxy_.clear();
  bounded([&] {
    for (int i = 0; i < kCallers; ++i) EXPECT_EQ(client_.get(key(i)), direct_.get(key(i)));
  });
}

TEST_F(RedisFaultsTest, IncrCutAfterLeavingTheClientIsUnknownButNotAppliedNorRetried) {
  ASSERT_EQ(client_.ping(), "PONG");
  const std::uint64_t sent_before = proxy_.bytes_forwarded(Direction::upstream);
  proxy_.cut_after(Direction::upstream, 0);
  Result r = incr_counter();
  EXPECT_FALSE(r.value);
  EXPECT_TRUE(is_connection_error(r)) << r.error.message() << ": " << r.what;
  // The kernel took the bytes, so the client cannot know they never arrived.
  EXPECT_TRUE(r.unknown()) << r.what;
  EXPECT_EQ(proxy_.bytes_forwarded(Direction::upstream), sent_before);
  proxy_.clear();
  // The next call reconnects; a retry of the INCR would go out with it.
  bounded([&] { EXPECT_EQ(client_.ping(), "PONG"); });
  EXPECT_EQ(direct_.get("counter"), std::nullopt);
}

TEST_F(RedisFaultsTest, IncrCutAfterReachingTheServerIsAppliedOnceNotRetried) {
  ASSERT_EQ(client_.ping(), "PONG");
  proxy_.cut_after(Direction::downstream, 0);
  Result r = incr_counter();
  EXPECT_FALSE(r.value);
  EXPECT_TRUE(is_connection_error(r)) << r.error.message() << ": " << r.what;
  EXPECT_TRUE(r.unknown()) << r.what;
  proxy_.clear();
  bounded([&] { EXPECT_EQ(client_.ping(), "PONG"); });
  EXPECT_EQ(direct_.get("counter"), "1");
}

TEST_F(RedisFaultsTest, IncrResetAfterReachingTheServerIsAppliedOnceNotRetried) {
  ASSERT_EQ(client_.ping(), "PONG");
  proxy_.reset_after(Direction::downstream, 0);
  Result r = incr_counter();
  EXPECT_FALSE(r.value);
  EXPECT_EQ(r.error, std::errc::connection_reset) << r.what;
  EXPECT_TRUE(r.unknown()) << r.what;
  proxy_.clear();
  bounded([&] { EXPECT_EQ(client_.incr("counter"), 2); });
  EXPECT_EQ(direct_.get("counter"), "2");
}

// A connection the server ended while it sat idle is found dead before the next call is written
// into it: nothing of the call left, so it goes out once on a new connection.
void check_call_after_idle_end_goes_out_once(FaultProxy& proxy, redis::Client& client, redis::Client& direct,
                                             const std::function<void()>& end_connection) {
  ASSERT_EQ(client.ping(), "PONG");
  end_connection();
  proxy.clear();
  bounded([&] {
    Result r = attempt([&] { return std::to_string(client.incr("counter")); });
    EXPECT_EQ(r.value, "1") << r.what;
  });
  EXPECT_EQ(direct.get("counter"), "1");
  EXPECT_EQ(client.stats().connects, 2u);
}

TEST_F(RedisFaultsTest, IncrOnAConnectionClosedWhileIdleGoesOutOnceOnANewConnection) {
  check_call_after_idle_end_goes_out_once(proxy_, client_, direct_, [&] { proxy_.close_all(); });
}

TEST_F(RedisFaultsTest, IncrOnAConnectionResetWhileIdleGoesOutOnceOnANewConnection) {
  check_call_after_idle_end_goes_out_once(proxy_, client_, direct_, [&] { proxy_.reset_all(); });
}

TEST_F(RedisFaultsTest, WatchedTransactionOnAConnectionClosedWhileIdleIsNotAppliedNotMovedOn) {
  redis::Session session = client_.session();
  session.watch("counter");
  proxy_.close_all();  // the WATCH dies with the connection
  proxy_.clear();
  Result r;
  bounded([&] {
    r = attempt([&]() -> std::optional<std::string> {
      redis::Transaction tx = session.multi();
      tx.command("INCR", "counter");
      return tx.exec() ? "executed" : "aborted";
    });
  });
  // Sent on a new connection, EXEC would run without the WATCH it depends on.
  EXPECT_FALSE(r.value) << *r.value;
  EXPECT_TRUE(r.not_applied()) << r.what;
  EXPECT_EQ(direct_.get("counter"), std::nullopt);
}

TEST_F(RedisFaultsTest, IncrTimedOutWhileTheHandshakeIsSwallowedIsNotAppliedAndNeverSent) {
  redis::Options o = proxied_options();
  o.client_name = "fault-test";  // a handshake to swallow
  o.connect_timeout = 2 * kCommandTimeout;
  redis::Client client(o);
  proxy_.set_black_hole(true);
  Result r;
  bounded([&] { r = attempt([&] { return std::to_string(client.incr("counter")); }); });
  EXPECT_EQ(r.error, fern::Errc::timed_out) << r.what;
  EXPECT_TRUE(r.not_applied()) << r.what;
  proxy_.clear();
  // The black-holed handshake fails at its connect timeout; the next call connects afresh, and the
  // withdrawn INCR must not go out with it.
  bounded([&] {
    Result again;
    for (int i = 0; i < 10 && !again.value; ++i) again = attempt([&] { return client.ping(); });
    EXPECT_EQ(again.value, "PONG") << again.what;
  });
  EXPECT_EQ(direct_.get("counter"), std::nullopt);
}

TEST_F(RedisFaultsTest, RefusedAndBlackHoledConnectsFailThenRecover) {
  proxy_.set_refuse(true);
  Result refused;
  bounded([&] { refused = attempt([&] { return client_.ping(); }); });
  EXPECT_FALSE(refused.value);
  EXPECT_NE(refused.error, redis::Errc::error_reply) << refused.what;
  EXPECT_TRUE(refused.outcome) << refused.what;
  proxy_.clear();
  proxy_.set_black_hole(true);
  // The handshake is swallowed: the connect timeout (or the call's) ends the wait.
  Result swallowed;
  bounded([&] { swallowed = attempt([&] { return client_.ping(); }); });
  EXPECT_FALSE(swallowed.value);
  EXPECT_EQ(swallowed.error, fern::Errc::timed_out) << swallowed.what;
  EXPECT_TRUE(swallowed.unknown()) << swallowed.what;
  // The timeout dropped the black-holed connection: the next call reconnects by itself.
  proxy_.clear();
  bounded([&] {
    Result r = attempt([&] { return client_.ping(); });
    EXPECT_EQ(r.value, "PONG") << r.what;
  });
}

}  // namespace
