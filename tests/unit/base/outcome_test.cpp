// Outcome and OperationError: the outcome travels with the code and message of the failure, and a
// caller that only knows std::system_error still sees both.
#include "fern/base/outcome.hpp"

#include <gtest/gtest.h>

#include <string>
#include <system_error>

#include "fern/base/error.hpp"

namespace fern {
namespace {

TEST(Outcome, TravelsWithTheFailure) {
  try {
    throw OperationError(make_error_code(Errc::unexpected_eof), "fern: connection lost", Outcome::unknown);
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), Errc::unexpected_eof);
    EXPECT_NE(std::string(e.what()).find("connection lost"), std::string::npos);
    const auto* op = dynamic_cast<const OperationError*>(&e);
    ASSERT_NE(op, nullptr);
    EXPECT_EQ(op->outcome(), Outcome::unknown);
    EXPECT_FALSE(op->not_applied());
  }
}

TEST(Outcome, RewrapsAFailureKeepingItsCodeAndMessage) {
  std::system_error refused(std::make_error_code(std::errc::connection_refused),
                            "fern: connect to 127.0.0.1:1");
  OperationError e(refused, Outcome::not_applied);
  EXPECT_EQ(e.code(), std::errc::connection_refused);
  EXPECT_STREQ(e.what(), refused.what());
  EXPECT_TRUE(e.not_applied());
  EXPECT_STREQ(to_string(Outcome::not_applied), "not_applied");
  EXPECT_STRNE(to_string(Outcome::unknown), to_string(Outcome::not_applied));
}

}  // namespace
}  // namespace fern
