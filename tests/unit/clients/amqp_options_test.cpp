// Options: the defaults a bare Connection({.port = p}) uses.
#include <gtest/gtest.h>

#include "fern/clients/amqp/options.hpp"

namespace fern::amqp {
namespace {

TEST(AmqpOptions, DefaultsAreRabbitMqsGuestOnTheLocalBroker) {
  const Options o{.host = "127.0.0.1", .port = 5673};
  EXPECT_EQ(o.user, "guest");
  EXPECT_EQ(o.password, "guest");
  EXPECT_EQ(o.vhost, "/");
  EXPECT_EQ(o.frame_max, 131072u);
  EXPECT_EQ(o.channel_max, 2047);
  EXPECT_EQ(o.heartbeat, std::chrono::seconds(60));
  EXPECT_FALSE(o.tls);
  EXPECT_EQ(o.endpoint(), "127.0.0.1:5673");
  EXPECT_GT(o.max_pending_output, 0u);
}

}  // namespace
}  // namespace fern::amqp
