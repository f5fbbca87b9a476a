// redis::Options: the defaults a Client starts from and how an endpoint is named in messages.
#include <gtest/gtest.h>

#include "fern/clients/redis/options.hpp"

namespace {

using fern::redis::Options;

TEST(RedisOptions, DefaultsAreALocalServerWithResp2AndOneConnection) {
  Options o;
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 6379);
  EXPECT_TRUE(o.unix_socket.empty());
  EXPECT_EQ(o.protocol, 2);
  EXPECT_EQ(o.db, 0);
  EXPECT_EQ(o.pool_size, 1u);
  EXPECT_EQ(o.command_timeout, fern::kForever);
  EXPECT_LT(o.reconnect_backoff, o.reconnect_backoff_max);
  EXPECT_FALSE(o.on_push);
}

TEST(RedisOptions, EndpointNamesTcpOrUnix) {
  Options o;
  o.host = "cache.local";
  o.port = 7000;
  EXPECT_EQ(o.endpoint(), "cache.local:7000");
  o.unix_socket = "/run/redis.sock";
  EXPECT_EQ(o.endpoint(), "unix:/run/redis.sock");
}

}  // namespace
