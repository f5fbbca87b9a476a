// An empty Consumer handle: reading it is a clear error, not a crash.
#include <gtest/gtest.h>

#include "fern/base/error.hpp"
#include "fern/clients/amqp/consumer.hpp"

namespace fern::amqp {
namespace {

TEST(AmqpConsumer, AnEmptyHandleIsAnInvalidArgument) {
  Consumer c;
  EXPECT_EQ(c.end(), ConsumerEnd::none);
  EXPECT_EQ(c.buffered(), 0u);
  try {
    c.next();
    FAIL() << "read an empty consumer";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), Errc::invalid_argument);
  }
  EXPECT_THROW(c.cancel(), std::system_error);
  EXPECT_THROW(c.tag(), std::system_error);
}

}  // namespace
}  // namespace fern::amqp
