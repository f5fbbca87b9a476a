// fern/all.hpp: the everyday API and every protocol layer through one include.
#include "fern/all.hpp"

#include <gtest/gtest.h>

#include <string>

namespace fern {
namespace {

TEST(All, ReachesTheProtocolLayersAndTheEverydayApi) {
  auto parsed = spawn([] { return http::parse_url("https://example.test/a?b=1"); });
  http::Url url = parsed.get();
  EXPECT_EQ(url.host, "example.test");
  EXPECT_EQ(url.port, 443);
  redis::Options cache;
  mysql::Options database;
  amqp::Options queue;
  EXPECT_EQ(cache.port, 6379);
  EXPECT_EQ(database.port, 3306);
  EXPECT_EQ(queue.port, 5672);
}

}  // namespace
}  // namespace fern
