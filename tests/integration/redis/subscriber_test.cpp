// Subscriber: channels and patterns, messages in order, timeouts, unsubscribe, RESP3 pushes, and
// resubscribing after the server restarts.
#include "fern/clients/redis/subscriber.hpp"

#include <gtest/gtest.h>

#include <string>

#include "fern/clients/redis/client.hpp"
#include "fern/hub/spawn.hpp"
#include "redis_test_support.hpp"

namespace redis = fern::redis;
using namespace std::chrono_literals;
using fern_redis_test::shared_server;

namespace {

class SubscriberTest : public ::testing::TestWithParam<int> {
 protected:
  redis::Options options = fern_redis_test::tcp_options(shared_server(), GetParam());
  redis::Client publisher{options};
};

TEST_P(SubscriberTest, ChannelMessagesArriveInOrder) {
  redis::Subscriber sub(options);
  sub.subscribe("news", "sports");
  EXPECT_EQ(sub.channels().size(), 2u);
  EXPECT_EQ(publisher.publish("news", "one"), 1);
  publisher.publish("sports", "two");
  publisher.publish("weather", "nobody");
  publisher.publish("news", "three");
  std::vector<std::string> got;
  for (int i = 0; i < 3; ++i) {
    std::optional<redis::Message> m = sub.next_message(5s);
    ASSERT_TRUE(m);
    got.push_back(m->channel + ":" + m->payload);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"news:one", "sports:two", "news:three"}));
  EXPECT_EQ(sub.next_message(30ms), std::nullopt);
}

TEST_P(SubscriberTest, PatternsAndUnsubscribe) {
  redis::Subscriber sub(options);
  sub.psubscribe("user.*");
  sub.subscribe("plain");
  publisher.publish("user.42", "hello");
  std::optional<redis::Message> m = sub.next_message(5s);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->pattern, "user.*");
  EXPECT_EQ(m->channel, "user.42");
  EXPECT_EQ(m->payload, "hello");
  sub.punsubscribe("user.*");
  EXPECT_TRUE(sub.patterns().empty());
  EXPECT_EQ(publisher.publish("user.42", "gone"), 0);
  sub.unsubscribe();
  EXPECT_TRUE(sub.channels().empty());
  EXPECT_EQ(publisher.publish("plain", "gone"), 0);
}

TEST_P(SubscriberTest, ManyPublishersOneSubscriber) {
  redis::Subscriber sub(options);
  sub.subscribe("bus");
  std::vector<fern::GreenletRef<>> publishers;
  for (int p = 0; p < 10; ++p) {
    publishers.push_back(fern::spawn([this, p] {
      for (int i = 0; i < 20; ++i) publisher.publish("bus", std::to_string(p));
    }));
  }
  int received = 0;
  while (received < 200) {
    std::optional<redis::Message> m = sub.next_message(5s);
    ASSERT_TRUE(m) << "after " << received;
    ++received;
  }
  fern::joinall(publishers);
  EXPECT_EQ(received, 200);
}

INSTANTIATE_TEST_SUITE_P(Protocols, SubscriberTest, ::testing::Values(2, 3),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "resp" + std::to_string(info.param);
                         });

TEST(SubscriberRestartTest, ResubscribesAfterTheServerRestarts) {
  fern_test::RedisServer server;
  redis::Options o = fern_redis_test::tcp_options(server);
  redis::Subscriber sub(o);
  sub.subscribe("alerts");
  server.restart();
  EXPECT_THROW(sub.next_message(5s), std::system_error);  // the loss is reported once
  EXPECT_EQ(sub.next_message(20ms), std::nullopt);        // reconnected and subscribed again
  redis::Client publisher(o);
  EXPECT_EQ(publisher.publish("alerts", "back"), 1);
  std::optional<redis::Message> m = sub.next_message(5s);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->payload, "back");
}

}  // namespace
