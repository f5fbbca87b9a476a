// Client: the pool spreads callers over its connections, sessions are separate, with_timeout bounds
// calls, AUTH / SELECT / client name / HELLO 3 in the handshake, Unix sockets, and RESP3 pushes.
#include "fern/clients/redis/client.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fern/base/error.hpp"
#include "fern/hub/spawn.hpp"
#include "redis_test_support.hpp"

namespace redis = fern::redis;
using namespace std::chrono_literals;
using fern_redis_test::shared_server;

namespace {

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override { fern_redis_test::flush_shared_server(); }
};

TEST_F(ClientTest, PoolSpreadsConcurrentCallers) {
  redis::Options o = fern_redis_test::tcp_options(shared_server());
  o.pool_size = 4;
  redis::Client client(o);
  EXPECT_EQ(client.pool_size(), 4u);
  std::vector<fern::GreenletRef<>> greenlets;
  for (int g = 0; g < 40; ++g) {
    greenlets.push_back(fern::spawn([&client, g] {
      for (int i = 0; i < 10; ++i) client.incrby("sum", g);
    }));
  }
  fern::joinall(greenlets);
  EXPECT_EQ(client.get("sum"), std::to_string(10 * (39 * 40 / 2)));
  EXPECT_EQ(client.stats().connects, 4u);  // every connection took a share
}

TEST_F(ClientTest, WithTimeoutBoundsOneCall) {
  redis::Client client(fern_redis_test::tcp_options(shared_server()));
  try {
    redis::Client::Timed timed = client.with_timeout(30ms);
    timed.command("BLPOP", "none", "0.2");
    FAIL();
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), fern::Errc::timed_out);
  }
  EXPECT_EQ(client.ping(), "PONG");
}

TEST_F(ClientTest, HandshakeSendsAuthSelectAndName) {
  fern_test::RedisServer server({"--requirepass", "sesame"});
  for (int protocol : {2, 3}) {
    redis::Options o = fern_redis_test::tcp_options(server, protocol);
    o.password = "sesame";
    o.db = 3;
    o.client_name = "fern-test";
    redis::Client client(o);
    client.set("in-db-3", "yes");
    EXPECT_EQ(client.command("CLIENT", "GETNAME").as_string(), "fern-test");
    redis::Options other = o;
    other.db = 0;
    redis::Client db0(other);
    EXPECT_EQ(db0.get("in-db-3"), std::nullopt) << "protocol " << protocol;
    EXPECT_EQ(client.get("in-db-3"), "yes");
    client.del("in-db-3");
  }
}

TEST_F(ClientTest, UnixSocket) {
  redis::Client client(fern_redis_test::unix_options(shared_server(), 3));
  client.set("u", "1");
  EXPECT_EQ(client.get("u"), "1");
}

TEST_F(ClientTest, Resp3PushesGoToTheHandlerNotToCallers) {
  redis::Options o = fern_redis_test::tcp_options(shared_server(), 3);
  std::vector<std::string> pushes;
  o.on_push = [&pushes](redis::Reply push) { pushes.push_back(push.to_string()); };
  redis::Client client(o);
  redis::Client writer(fern_redis_test::tcp_options(shared_server()));
  // Client-side caching: the server pushes an invalidation when a read key changes.
  client.command("CLIENT", "TRACKING", "on");
  client.set("tracked", "1");
  EXPECT_EQ(client.get("tracked"), "1");
  writer.set("tracked", "2");
  // Every later reply still reaches its caller; the push is handed aside.
  for (int i = 0; i < 5 && pushes.empty(); ++i) EXPECT_EQ(client.ping(), "PONG");
  ASSERT_FALSE(pushes.empty());
  EXPECT_NE(pushes[0].find("invalidate"), std::string::npos) << pushes[0];
  EXPECT_EQ(client.get("tracked"), "2");
}

}  // namespace
