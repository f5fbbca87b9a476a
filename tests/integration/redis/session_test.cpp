// Session: an exclusive connection for blocking commands and WATCH; returned connections are
// reused, dirty ones closed.
#include "fern/clients/redis/session.hpp"

#include <gtest/gtest.h>

#include "fern/clients/redis/client.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "redis_test_support.hpp"

namespace redis = fern::redis;
using namespace std::chrono_literals;
using fern_redis_test::shared_server;

namespace {

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override { fern_redis_test::flush_shared_server(); }
  redis::Client client{fern_redis_test::tcp_options(shared_server())};
};

TEST_F(SessionTest, BlockingPopDoesNotHoldTheSharedConnection) {
  std::optional<std::string> popped;
  auto consumer = fern::spawn([&] {
    redis::Session s = client.session();
    redis::Reply r = s.command("BLPOP", "jobs", "5");
    popped = std::string(r[1].as_string());
  });
  fern::sleep(20ms);
  // The shared connection answers while the session blocks.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(client.ping(), "PONG");
  client.rpush("jobs", "job-1");
  consumer->join();
  EXPECT_EQ(popped, "job-1");
}

TEST_F(SessionTest, CleanConnectionsAreReusedDirtyOnesClosed) {
  std::uint64_t first_id;
  {
    redis::Session s = client.session();
    first_id = static_cast<std::uint64_t>(s.command("CLIENT", "ID").as_integer());
  }
  {
    redis::Session s = client.session();
    EXPECT_EQ(static_cast<std::uint64_t>(s.command("CLIENT", "ID").as_integer()), first_id);
    s.watch("k");  // left watching: must not be lent again
  }
  redis::Session s = client.session();
  EXPECT_NE(static_cast<std::uint64_t>(s.command("CLIENT", "ID").as_integer()), first_id);
  redis::Session moved = std::move(s);
  EXPECT_EQ(moved.ping(), "PONG");
}

TEST_F(SessionTest, PipelineOnASession) {
  redis::Session s = client.session();
  redis::Pipeline pipe = s.pipeline();
  pipe.command("SET", "a", "1").command("GET", "a");
  std::vector<redis::Reply> r = pipe.execute();
  EXPECT_EQ(r[1].as_string(), "1");
}

}  // namespace
