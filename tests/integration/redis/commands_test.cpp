// Every typed helper of CommandSet against a real redis-server, under RESP2 and RESP3 (whose
// replies differ in shape: maps, doubles, nested score pairs).
#include "fern/clients/redis/commands.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "fern/clients/redis/client.hpp"
#include "fern/clients/redis/reply_error.hpp"
#include "redis_test_support.hpp"

namespace redis = fern::redis;
using namespace std::chrono_literals;
using fern_redis_test::shared_server;

namespace {

class CommandsTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override { fern_redis_test::flush_shared_server(); }
  redis::Client client{fern_redis_test::tcp_options(shared_server(), GetParam())};
};

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST_P(CommandsTest, Strings) {
  EXPECT_EQ(client.ping(), "PONG");
  EXPECT_EQ(client.get("s"), std::nullopt);
  EXPECT_TRUE(client.set("s", "hello"));
  EXPECT_EQ(client.get("s"), "hello");
  EXPECT_FALSE(client.set("s", "other", {.only_if_absent = true}));
  EXPECT_TRUE(client.set("s2", "x", {.only_if_absent = true}));
  EXPECT_FALSE(client.set("nope", "x", {.only_if_exists = true}));
  EXPECT_EQ(client.append("s", " world"), 11);
  EXPECT_EQ(client.strlen("s"), 11);
  client.mset("a", "1", "b", "2");
  EXPECT_EQ(client.mget("a", "missing", "b"),
            (std::vector<std::optional<std::string>>{"1", std::nullopt, "2"}));
  EXPECT_EQ(client.getdel("a"), "1");
  EXPECT_EQ(client.get("a"), std::nullopt);
  std::string binary("\0\r\n\xff", 4);
  client.set("bin", binary);
  EXPECT_EQ(client.get("bin"), binary);
  EXPECT_EQ(client.type("s"), "string");
  EXPECT_EQ(client.dbsize(), 4);
}

TEST_P(CommandsTest, KeysAndExpiry) {
  client.set("k1", "v");
  client.set("k2", "v");
  EXPECT_EQ(client.exists("k1", "k2", "k3"), 2);
  EXPECT_EQ(client.ttl("k1"), -1);
  EXPECT_EQ(client.ttl("missing"), -2);
  EXPECT_TRUE(client.expire("k1", 100s));
  EXPECT_GT(client.ttl("k1"), 90);
  EXPECT_TRUE(client.pexpire("k2", 50000ms));
  EXPECT_GT(client.pttl("k2"), 40000);
  EXPECT_TRUE(client.persist("k2"));
  EXPECT_EQ(client.ttl("k2"), -1);
  EXPECT_TRUE(client.set("t", "v", {.ttl = 30000ms}));
  EXPECT_GT(client.pttl("t"), 20000);
  EXPECT_TRUE(client.set("t", "w", {.keep_ttl = true}));
  EXPECT_GT(client.pttl("t"), 20000);
  EXPECT_EQ(client.del("k1", "k2", "nothing"), 2);
}

TEST_P(CommandsTest, Counters) {
  EXPECT_EQ(client.incr("n"), 1);
  EXPECT_EQ(client.incrby("n", 41), 42);
  EXPECT_EQ(client.decr("n"), 41);
  EXPECT_EQ(client.decrby("n", 40), 1);
  EXPECT_DOUBLE_EQ(client.incrbyfloat("f", 2.5), 2.5);
  EXPECT_DOUBLE_EQ(client.incrbyfloat("f", -1), 1.5);
  client.set("text", "abc");
  EXPECT_THROW(client.incr("text"), redis::ReplyError);
}

TEST_P(CommandsTest, Hashes) {
  EXPECT_EQ(client.hset("h", "a", "1", "b", "2"), 2);
  EXPECT_EQ(client.hset("h", "a", "10"), 0);
  EXPECT_EQ(client.hget("h", "a"), "10");
  EXPECT_EQ(client.hget("h", "zz"), std::nullopt);
  auto all = client.hgetall("h");
  EXPECT_EQ(all.size(), 2u);
  EXPECT_EQ(all["a"], "10");
  EXPECT_EQ(all["b"], "2");
  EXPECT_TRUE(client.hgetall("missing").empty());
  EXPECT_EQ(client.hmget("h", "b", "x"), (std::vector<std::optional<std::string>>{"2", std::nullopt}));
  EXPECT_TRUE(client.hexists("h", "b"));
  EXPECT_EQ(client.hincrby("h", "n", 5), 5);
  EXPECT_EQ(client.hlen("h"), 3);
  EXPECT_EQ(sorted(client.hkeys("h")), (std::vector<std::string>{"a", "b", "n"}));
  EXPECT_EQ(client.hdel("h", "a", "b"), 2);
  EXPECT_FALSE(client.hexists("h", "a"));
}

TEST_P(CommandsTest, Lists) {
  EXPECT_EQ(client.rpush("l", "b", "c"), 2);
  EXPECT_EQ(client.lpush("l", "a"), 3);
  EXPECT_EQ(client.lrange("l", 0, -1), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(client.llen("l"), 3);
  EXPECT_EQ(client.lindex("l", 1), "b");
  EXPECT_EQ(client.lindex("l", 9), std::nullopt);
  EXPECT_EQ(client.lpop("l"), "a");
  EXPECT_EQ(client.rpop("l"), "c");
  EXPECT_EQ(client.rpop("l"), "b");
  EXPECT_EQ(client.rpop("l"), std::nullopt);
  std::vector<std::string> many{"x", "y", "z"};
  EXPECT_EQ(client.rpush("m", many), 3);
}

TEST_P(CommandsTest, Sets) {
  EXPECT_EQ(client.sadd("s", "a", "b", "c", "a"), 3);
  EXPECT_TRUE(client.sismember("s", "b"));
  EXPECT_FALSE(client.sismember("s", "q"));
  EXPECT_EQ(client.scard("s"), 3);
  EXPECT_EQ(sorted(client.smembers("s")), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(client.srem("s", "a", "q"), 1);
  EXPECT_EQ(client.scard("s"), 2);
}

TEST_P(CommandsTest, SortedSets) {
  EXPECT_EQ(client.zadd("z", 1.5, "a"), 1);
  EXPECT_EQ(client.zadd("z", 3, "c"), 1);
  EXPECT_EQ(client.zadd("z", 2, "b"), 1);
  EXPECT_EQ(client.zscore("z", "a"), 1.5);
  EXPECT_EQ(client.zscore("z", "none"), std::nullopt);
  EXPECT_DOUBLE_EQ(client.zincrby("z", 10, "a"), 11.5);
  EXPECT_EQ(client.zrank("z", "b"), 0);
  EXPECT_EQ(client.zrank("z", "none"), std::nullopt);
  EXPECT_EQ(client.zcard("z"), 3);
  EXPECT_EQ(client.zrange("z", 0, -1), (std::vector<std::string>{"b", "c", "a"}));
  auto scored = client.zrange_withscores("z", 0, 1);
  ASSERT_EQ(scored.size(), 2u);
  EXPECT_EQ(scored[0], (std::pair<std::string, double>{"b", 2}));
  EXPECT_EQ(scored[1], (std::pair<std::string, double>{"c", 3}));
  EXPECT_EQ(client.zrangebyscore("z", 2.5, 100), (std::vector<std::string>{"c", "a"}));
  EXPECT_EQ(client.zrem("z", "a", "b"), 2);
  EXPECT_EQ(client.zcard("z"), 1);
}

TEST_P(CommandsTest, ScanWalksEveryKey) {
  auto pipe = client.pipeline();
  for (int i = 0; i < 500; ++i) pipe.command("SET", "scan:" + std::to_string(i), i);
  for (int i = 0; i < 20; ++i) pipe.command("SET", "other:" + std::to_string(i), i);
  pipe.execute();
  std::vector<std::string> keys = client.scan_all("scan:*", 50);
  std::set<std::string> unique(keys.begin(), keys.end());
  EXPECT_EQ(unique.size(), 500u);
  EXPECT_EQ(unique.count("other:1"), 0u);
  redis::ScanPage page = client.scan(0, "", 10);
  EXPECT_FALSE(page.keys.empty());
  EXPECT_NE(page.cursor, 0u);
}

TEST_P(CommandsTest, PublishCountsReceivers) { EXPECT_EQ(client.publish("nobody-listens", "hello"), 0); }

TEST_P(CommandsTest, TimedHelpers) {
  client.set("k", "v");
  EXPECT_EQ(client.with_timeout(5s).get("k"), "v");
}

INSTANTIATE_TEST_SUITE_P(Protocols, CommandsTest, ::testing::Values(2, 3),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "resp" + std::to_string(info.param);
                         });

TEST(ConversionsTest, WrongShapesAreClearErrors) {
  redis::Reply nil;
  EXPECT_EQ(redis::optional_string(nil), std::nullopt);
  try {
    redis::integer(nil);
    FAIL();
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("expected an integer"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(redis::is_ok(nil));
  EXPECT_EQ(redis::set_option_words({.ttl = 1500ms, .only_if_absent = true}),
            (std::vector<std::string>{"PX", "1500", "NX"}));
}

}  // namespace
