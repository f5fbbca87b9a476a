// ReplyError: category, code, prefix and message; what a server's error reply becomes.
#include "fern/clients/redis/reply_error.hpp"

#include <gtest/gtest.h>

#include "fern/clients/redis/client.hpp"
#include "redis_test_support.hpp"

namespace redis = fern::redis;

namespace {

TEST(ReplyErrorTest, CarriesTheServersMessage) {
  redis::ReplyError e("WRONGTYPE Operation against a key holding the wrong kind of value");
  EXPECT_EQ(e.prefix(), "WRONGTYPE");
  EXPECT_STREQ(e.what(), "WRONGTYPE Operation against a key holding the wrong kind of value");
  EXPECT_EQ(e.code(), redis::Errc::error_reply);
  EXPECT_STREQ(e.code().category().name(), "redis");
  EXPECT_EQ(redis::ReplyError("ERR").prefix(), "ERR");
}

TEST(ReplyErrorTest, FromARealServer) {
  fern_redis_test::flush_shared_server();
  redis::Client client(fern_redis_test::tcp_options(fern_redis_test::shared_server()));
  client.rpush("list", "x");
  try {
    client.get("list");
    FAIL() << "GET on a list succeeded";
  } catch (const redis::ReplyError& e) {
    EXPECT_EQ(e.prefix(), "WRONGTYPE");
  }
}

}  // namespace
