// Pipeline: 10,000 commands in one batch, replies in order; error replies returned in place; many
// greenlets running pipelines on one connection at once; reuse of a pipeline.
#include "fern/clients/redis/pipeline.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fern/clients/redis/client.hpp"
#include "fern/hub/spawn.hpp"
#include "redis_test_support.hpp"

namespace redis = fern::redis;
using fern_redis_test::shared_server;

namespace {

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override { fern_redis_test::flush_shared_server(); }
  redis::Client client{fern_redis_test::tcp_options(shared_server())};
};

TEST_F(PipelineTest, TenThousandCommandsInOrder) {
  constexpr int kCommands = 10000;
  redis::Pipeline pipe = client.pipeline();
  for (int i = 0; i < kCommands; ++i) pipe.command("SET", "p:" + std::to_string(i), "v" + std::to_string(i));
  EXPECT_EQ(pipe.size(), static_cast<std::size_t>(kCommands));
  std::vector<redis::Reply> sets = pipe.execute();
  ASSERT_EQ(sets.size(), static_cast<std::size_t>(kCommands));
  for (const redis::Reply& r : sets) ASSERT_TRUE(redis::is_ok(r)) << r;
  EXPECT_TRUE(pipe.empty());
  for (int i = 0; i < kCommands; ++i) pipe.command("GET", "p:" + std::to_string(i));
  std::vector<redis::Reply> gets = pipe.execute();
  ASSERT_EQ(gets.size(), static_cast<std::size_t>(kCommands));
  for (int i = 0; i < kCommands; ++i) ASSERT_EQ(gets[i].as_string(), "v" + std::to_string(i));
  EXPECT_EQ(client.dbsize(), kCommands);
}

TEST_F(PipelineTest, ErrorRepliesStayInTheirPlace) {
  redis::Pipeline pipe = client.pipeline();
  pipe.command("SET", "t", "text").command("INCR", "t").command("GET", "t").command("NOSUCHCOMMAND");
  std::vector<redis::Reply> r = pipe.execute();
  ASSERT_EQ(r.size(), 4u);
  EXPECT_TRUE(redis::is_ok(r[0]));
  EXPECT_TRUE(r[1].is_error());
  EXPECT_EQ(r[2].as_string(), "text");
  EXPECT_TRUE(r[3].is_error());
  EXPECT_NE(r[3].as_string().find("unknown command"), std::string::npos) << r[3];
}

TEST_F(PipelineTest, ConcurrentPipelinesOnOneConnectionDoNotInterleave) {
  std::vector<fern::GreenletRef<>> greenlets;
  int correct = 0;
  for (int g = 0; g < 50; ++g) {
    greenlets.push_back(fern::spawn([this, g, &correct] {
      redis::Pipeline pipe = client.pipeline();
      std::vector<redis::Reply> replies;
      for (int round = 0; round < 5; ++round) {
        for (int i = 0; i < 16; ++i) pipe.command("ECHO", std::to_string(g * 1000 + round * 16 + i));
        pipe.execute_into(replies);
        for (int i = 0; i < 16; ++i) {
          if (replies[i].as_string() != std::to_string(g * 1000 + round * 16 + i)) return;
        }
      }
      ++correct;
    }));
  }
  fern::joinall(greenlets);
  EXPECT_EQ(correct, 50);
}

TEST_F(PipelineTest, EmptyPipelineSendsNothing) {
  redis::Pipeline pipe = client.pipeline();
  EXPECT_TRUE(pipe.execute().empty());
  pipe.command("PING");
  pipe.clear();
  EXPECT_TRUE(pipe.execute().empty());
}

}  // namespace
