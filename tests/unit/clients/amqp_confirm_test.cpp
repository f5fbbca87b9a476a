// Confirm without a channel: a publish outside confirm mode has nothing to wait for.
#include <gtest/gtest.h>

#include "fern/clients/amqp/confirm.hpp"

namespace fern::amqp {
namespace {

TEST(AmqpConfirm, AnUntrackedConfirmIsResolvedAtOnce) {
  const Confirm c;
  EXPECT_EQ(c.sequence(), 0u);
  EXPECT_EQ(c.status(), ConfirmStatus::not_tracked);
  EXPECT_EQ(c.wait(), ConfirmStatus::not_tracked);  // never parks
  EXPECT_FALSE(c.confirmed());
}

TEST(AmqpConfirm, StatusNamesAndTally) {
  EXPECT_STREQ(to_string(ConfirmStatus::confirmed), "confirmed");
  EXPECT_STREQ(to_string(ConfirmStatus::nacked), "nacked");
  EXPECT_STREQ(to_string(ConfirmStatus::unknown), "unknown");
  EXPECT_STREQ(to_string(ConfirmStatus::pending), "pending");
  ConfirmTally t{.confirmed = 3};
  EXPECT_TRUE(t.all_confirmed());
  t.unknown = 1;
  EXPECT_FALSE(t.all_confirmed());
}

}  // namespace
}  // namespace fern::amqp
