#include "fern/base/error.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace fern {
namespace {

TEST(Error, FernCodesMapToPortableConditions) {
  std::error_code ec = Errc::timed_out;
  EXPECT_EQ(ec.category().name(), std::string("fern"));
  EXPECT_EQ(ec, std::errc::timed_out);
  EXPECT_EQ(ec.message(), "timed out");
  EXPECT_EQ(std::error_code(Errc::cancelled), std::errc::operation_canceled);
}

TEST(Error, ThrowErrorCarriesCode) {
  try {
    throw_error(Errc::closed, "queue");
    FAIL();
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), Errc::closed);
    EXPECT_NE(std::string(e.what()).find("queue"), std::string::npos);
  }
}

TEST(Error, DescribeExceptionGivesWhatOrAFixedText) {
  EXPECT_EQ(describe_exception(std::make_exception_ptr(std::runtime_error("boom"))), "boom");
  EXPECT_EQ(describe_exception(std::make_exception_ptr(42)), "an exception not derived from std::exception");
}

}  // namespace
}  // namespace fern
