// Delivery and Message as values; acknowledging needs the channel a delivery came from.
#include <gtest/gtest.h>

#include "fern/base/error.hpp"
#include "fern/clients/amqp/message.hpp"

namespace fern::amqp {
namespace {

TEST(AmqpMessage, ADeliveryWithoutAChannelCannotBeAcknowledged) {
  Delivery d;
  d.delivery_tag = 7;
  d.message.body = "hello";
  d.message.properties.delivery_mode = 2;
  EXPECT_EQ(d.body(), "hello");
  EXPECT_TRUE(d.properties().persistent());
  try {
    d.ack();
    FAIL() << "acknowledged without a channel";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), Errc::invalid_argument);
  }
  EXPECT_THROW(d.nack(), std::system_error);
  EXPECT_THROW(d.reject(false), std::system_error);
}

}  // namespace
}  // namespace fern::amqp
