// AMQP reply codes as error codes, and the exceptions that carry the broker's close reason.
#include <gtest/gtest.h>

#include "fern/clients/amqp/error.hpp"

namespace fern::amqp {
namespace {

TEST(AmqpError, ReplyCodesAreErrorCodesInTheAmqpCategory) {
  const std::error_code ec = ReplyCode::precondition_failed;
  EXPECT_EQ(ec.value(), 406);
  EXPECT_STREQ(ec.category().name(), "amqp");
  EXPECT_EQ(ec.message(), "PRECONDITION_FAILED");
  EXPECT_EQ(std::error_code(ReplyCode::not_found).message(), "NOT_FOUND");
  EXPECT_EQ(std::error_code(999, amqp_category()).message(), "reply code 999");
}

TEST(AmqpError, ExceptionsCarryTheCloseReason) {
  const ChannelError channel({404, "NOT_FOUND - no queue 'q'", 50, 10}, "channel 1 closed");
  EXPECT_EQ(channel.code(), ReplyCode::not_found);
  EXPECT_EQ(channel.reply_code(), 404);
  EXPECT_EQ(channel.reply_text(), "NOT_FOUND - no queue 'q'");
  EXPECT_EQ(channel.reason().class_id, 50);
  EXPECT_NE(std::string(channel.what()).find("channel 1 closed"), std::string::npos);
  const ConnectionError connection({320, "CONNECTION_FORCED", 0, 0}, "closed");
  EXPECT_EQ(connection.code(), ReplyCode::connection_forced);
  const std::system_error& base = connection;  // callers may catch std::system_error
  EXPECT_EQ(base.code().value(), 320);
}

}  // namespace
}  // namespace fern::amqp
