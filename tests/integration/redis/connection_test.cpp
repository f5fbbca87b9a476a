// redis::Connection against a real redis-server: round trips over TCP and a Unix socket, automatic
// pipelining of 1,000 greenlets (each gets its own reply, in few sends), timeouts and kills that do
// not desynchronise the stream, close() failing pending calls, and HELLO 3.
#include "fern/clients/redis/connection.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fern/base/error.hpp"
#include "fern/clients/redis/reply_error.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/timeout.hpp"
#include "redis_test_support.hpp"

namespace redis = fern::redis;
using namespace std::chrono_literals;
using fern_redis_test::shared_server;

namespace {

class ConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override { fern_redis_test::flush_shared_server(); }
};

TEST_F(ConnectionTest, RoundTripOverTcp) {
  redis::Connection c(fern_redis_test::tcp_options(shared_server()));
  EXPECT_FALSE(c.connected());
  EXPECT_EQ(c.command("SET", "k", "v").as_string(), "OK");
  EXPECT_EQ(c.command("GET", "k").as_string(), "v");
  EXPECT_TRUE(c.command("GET", "missing").is_nil());
  EXPECT_TRUE(c.connected());
  EXPECT_EQ(c.stats().connects, 1u);
  EXPECT_EQ(c.pending(), 0u);
}

TEST_F(ConnectionTest, RoundTripOverUnixSocket) {
  redis::Connection c(fern_redis_test::unix_options(shared_server()));
  EXPECT_EQ(c.command("ECHO", "over unix").as_string(), "over unix");
}

TEST_F(ConnectionTest, ErrorReplyThrowsReplyErrorAndKeepsTheConnection) {
  redis::Connection c(fern_redis_test::tcp_options(shared_server()));
  c.command("SET", "s", "text");
  try {
    c.command("INCR", "s");
    FAIL() << "INCR on text succeeded";
  } catch (const redis::ReplyError& e) {
    EXPECT_EQ(e.prefix(), "ERR");
    EXPECT_NE(std::string(e.what()).find("not an integer"), std::string::npos) << e.what();
  }
  EXPECT_EQ(c.command("GET", "s").as_string(), "text");
  EXPECT_EQ(c.stats().connects, 1u);
}

TEST_F(ConnectionTest, ThousandGreenletsShareOneConnectionAndGetTheirOwnReplies) {
  redis::Connection c(fern_redis_test::tcp_options(shared_server()));
  c.command("PING");  // connected before the crowd arrives
  const redis::ConnectionStats before = c.stats();
  constexpr int kGreenlets = 1000;
  std::vector<fern::GreenletRef<>> greenlets;
  int correct = 0;
  for (int i = 0; i < kGreenlets; ++i) {
    greenlets.push_back(fern::spawn([&c, &correct, i] {
      const std::string key = "key:" + std::to_string(i);
      const std::string value = "value:" + std::to_string(i * 7919);
      c.command("SET", key, value);
      for (int round = 0; round < 3; ++round) {
        if (c.command("GET", key).as_string() != value) return;
        fern::yield();
      }
      if (c.command("INCRBY", "total", i).as_integer() < i) return;
      ++correct;
    }));
  }
  fern::joinall(greenlets);
  EXPECT_EQ(correct, kGreenlets);
  EXPECT_EQ(c.command("GET", "total").as_string(), std::to_string(kGreenlets * (kGreenlets - 1) / 2));
  const redis::ConnectionStats after = c.stats();
  const auto commands = after.commands - before.commands;
  EXPECT_EQ(commands, 5u * kGreenlets + 1);
  // Every greenlet runs in the same hub turns, so each turn's commands share one send.
  EXPECT_LT(after.sends - before.sends, commands / 50) << "sends: " << after.sends - before.sends;
}

TEST_F(ConnectionTest, TimedOutCallDropsTheConnectionSoItsReplyReachesNoOne) {
  redis::Connection c(fern_redis_test::tcp_options(shared_server()));
  c.command("SET", "after", "mine");
  try {
    // BLPOP holds the connection's next reply back for 300 ms.
    c.command_for(50ms, "BLPOP", "no-such-list", "0.3");
    FAIL() << "no timeout";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), fern::Errc::timed_out) << e.what();
    EXPECT_NE(std::string(e.what()).find("no reply within"), std::string::npos) << e.what();
  }
  // The connection went with the timed-out call, and BLPOP's nil with it: the next call reconnects
  // and gets its own reply.
  EXPECT_EQ(c.pending(), 0u);
  EXPECT_FALSE(c.connected());
  EXPECT_EQ(c.command("GET", "after").as_string(), "mine");
  EXPECT_EQ(c.stats().connects, 2u);
}

TEST_F(ConnectionTest, TimeoutScopeAndKillDoNotDesynchronise) {
  redis::Connection c(fern_redis_test::tcp_options(shared_server()));
  c.command("SET", "x", "1");
  EXPECT_THROW(
      {
        fern::Timeout scope(30ms);
        c.command("BLPOP", "nothing", "0.2");
      },
      fern::TimeoutError);
  auto victim = fern::spawn([&c] { c.command("BLPOP", "nothing", "0.2"); });
  fern::sleep(20ms);
  victim->kill();
  EXPECT_TRUE(victim->killed());
  std::vector<fern::GreenletRef<>> readers;
  int correct = 0;
  for (int i = 0; i < 20; ++i) {
    readers.push_back(fern::spawn([&c, &correct, i] {
      if (c.command("ECHO", std::to_string(i)).as_string() == std::to_string(i)) ++correct;
    }));
  }
  fern::joinall(readers);
  EXPECT_EQ(correct, 20);
  EXPECT_EQ(c.command("GET", "x").as_string(), "1");
}

TEST_F(ConnectionTest, CloseFailsPendingCallsAndLaterCalls) {
  redis::Connection c(fern_redis_test::tcp_options(shared_server()));
  c.command("PING");
  std::string error;
  auto waiter = fern::spawn([&] {
    try {
      c.command("BLPOP", "nothing", "5");
    } catch (const std::system_error& e) {
      if (e.code() == fern::Errc::closed) error = e.what();
    }
  });
  fern::sleep(20ms);
  c.close();
  waiter->join();
  EXPECT_NE(error.find("closed"), std::string::npos) << error;
  EXPECT_THROW(c.command("PING"), std::system_error);
}

TEST_F(ConnectionTest, Resp3HandshakeGivesMapsAndDoubles) {
  redis::Connection c(fern_redis_test::tcp_options(shared_server(), 3));
  c.command("HSET", "h", "f", "v");
  redis::Reply all = c.command("HGETALL", "h");
  EXPECT_EQ(all.kind(), redis::Kind::map);
  EXPECT_EQ(all.find("f")->as_string(), "v");
  c.command("ZADD", "z", "1.5", "m");
  EXPECT_EQ(c.command("ZSCORE", "z", "m").kind(), redis::Kind::double_);
}

TEST_F(ConnectionTest, LargeValuesBothWays) {
  redis::Connection c(fern_redis_test::tcp_options(shared_server()));
  std::string big(8 << 20, 'x');
  for (std::size_t i = 0; i < big.size(); i += 4093) big[i] = static_cast<char>('a' + i % 26);
  c.command("SET", "big", big);
  EXPECT_EQ(c.command("GET", "big").as_string(), big);
  EXPECT_EQ(c.command("STRLEN", "big").as_integer(), static_cast<std::int64_t>(big.size()));
}

}  // namespace
