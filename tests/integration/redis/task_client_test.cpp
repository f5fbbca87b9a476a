// TaskClient: the Redis commands from aio tasks against a real redis-server, sharing one Client
// with greenlets; a cancelled call unwinds and the client carries on; an error reply reaches the
// task as ReplyError.
#include "fern/clients/redis/task_client.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "fern/aio/spawn.hpp"
#include "fern/aio/task.hpp"
#include "fern/aio/timeout.hpp"
#include "fern/clients/redis/reply_error.hpp"
#include "fern/hub/spawn.hpp"
#include "redis_test_support.hpp"

namespace redis = fern::redis;
namespace aio = fern::aio;
using namespace std::chrono_literals;
using fern_redis_test::shared_server;

namespace {

class TaskClientTest : public ::testing::Test {
 protected:
  void SetUp() override { fern_redis_test::flush_shared_server(); }
};

aio::Task<std::optional<std::string>> set_then_get(redis::TaskClient redis) {
  co_await redis.set("greeting", "hello");
  co_await redis.set("short", "lived", redis::SetOptions{.ttl = 10s});
  co_await redis.rpush("list", "a", "b", std::string("c"));
  co_return co_await redis.get("greeting");
}

TEST_F(TaskClientTest, CommandsFromATask) {
  redis::Client client(fern_redis_test::tcp_options(shared_server()));
  EXPECT_EQ(aio::run(set_then_get(redis::TaskClient(client))), "hello");
  EXPECT_EQ(client.lrange("list", 0, -1), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_GT(client.pttl("short"), 0);
}

aio::Task<void> add_from_task(redis::TaskClient redis, int times) {
  for (int i = 0; i < times; ++i) co_await redis.incrby("sum", 2);
}

// Tasks and greenlets share one Client (its pooled, pipelined connections) at the same time.
TEST_F(TaskClientTest, TasksAndGreenletsShareOneClient) {
  redis::Client client(fern_redis_test::tcp_options(shared_server()));
  std::vector<aio::TaskHandle<void>> tasks;
  std::vector<fern::GreenletRef<>> greenlets;
  for (int i = 0; i < 10; ++i) {
    tasks.push_back(aio::spawn(add_from_task(redis::TaskClient(client), 20)));
    greenlets.push_back(fern::spawn([&client] {
      for (int j = 0; j < 20; ++j) client.incrby("sum", 1);
    }));
  }
  for (auto& t : tasks) t.get();
  fern::joinall(greenlets);
  EXPECT_EQ(client.get("sum"), std::to_string(10 * 20 * 2 + 10 * 20));
}

aio::Task<std::string> wrong_type(redis::TaskClient redis) {
  co_await redis.set("text", "not a number");
  try {
    co_await redis.incr("text");
  } catch (const redis::ReplyError& e) {
    co_return std::string(e.what());
  }
  co_return "no error";
}

TEST_F(TaskClientTest, AnErrorReplyReachesTheTask) {
  redis::Client client(fern_redis_test::tcp_options(shared_server()));
  EXPECT_NE(aio::run(wrong_type(redis::TaskClient(client))).find("not an integer"), std::string::npos);
}

// A timeout scope around a blocking command ends the call; the Client serves the next one.
aio::Task<std::string> timed_out_then_again(redis::TaskClient redis) {
  try {
    auto scope = co_await aio::timeout(20ms);
    co_await redis.command("BLPOP", "nothing-here", "5");
    co_return "no timeout";
  } catch (const fern::TimeoutError&) {
  }
  co_return co_await redis.ping();
}

TEST_F(TaskClientTest, ATimedOutCallLeavesTheClientUsable) {
  redis::Client client(fern_redis_test::tcp_options(shared_server()));
  EXPECT_EQ(aio::run(timed_out_then_again(redis::TaskClient(client))), "PONG");
  EXPECT_EQ(client.ping(), "PONG");
}

// call(): what has no forwarded form (here a pipeline) runs in one carrier call.
aio::Task<std::size_t> pipeline_from_task(redis::TaskClient redis) {
  co_return co_await redis.call([](redis::Client& c) {
    auto pipe = c.pipeline();
    pipe.command("SET", "p1", "x");
    pipe.command("SET", "p2", "y");
    return pipe.execute().size();
  });
}

TEST_F(TaskClientTest, AnythingElseThroughCall) {
  redis::Client client(fern_redis_test::tcp_options(shared_server()));
  EXPECT_EQ(aio::run(pipeline_from_task(redis::TaskClient(client))), 2u);
  EXPECT_EQ(client.get("p2"), "y");
}

}  // namespace
