// ParseError: the error category, its messages, and the status each error maps to.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include <fern/http/parse_error.hpp>

namespace fern::http {
namespace {

TEST(ParseError, CategoryAndMessages) {
  std::error_code ec = ParseError::body_too_large;
  EXPECT_EQ(ec.category(), http_category());
  EXPECT_STREQ(http_category().name(), "fern.http");
  EXPECT_EQ(ec.message(), "body too large");
  EXPECT_FALSE(std::error_code(ParseError::ok));
  std::set<std::string> messages;
  for (int e = 0; e <= static_cast<int>(ParseError::unexpected_eof); ++e) {
    messages.insert(make_error_code(static_cast<ParseError>(e)).message());
  }
  EXPECT_EQ(messages.size(), static_cast<std::size_t>(ParseError::unexpected_eof) + 1)
      << "each message differs";
  EXPECT_EQ(make_error_code(static_cast<ParseError>(999)).message(), "unknown HTTP parse error");
}

TEST(ParseError, StatusCodes) {
  EXPECT_EQ(error_status(ParseError::ok), 0);
  EXPECT_EQ(error_status(ParseError::bad_request_line), 400);
  EXPECT_EQ(error_status(ParseError::obs_fold), 400);
  EXPECT_EQ(error_status(ParseError::content_length_and_transfer_encoding), 400);
  EXPECT_EQ(error_status(ParseError::bad_chunk_size), 400);
  EXPECT_EQ(error_status(ParseError::unexpected_eof), 400);
  EXPECT_EQ(error_status(ParseError::body_too_large), 413);
  EXPECT_EQ(error_status(ParseError::start_line_too_long), 414);
  EXPECT_EQ(error_status(ParseError::header_block_too_large), 431);
  EXPECT_EQ(error_status(ParseError::too_many_headers), 431);
  EXPECT_EQ(error_status(ParseError::unsupported_transfer_encoding), 501);
  EXPECT_EQ(error_status(ParseError::unsupported_version), 505);
  EXPECT_EQ(error_status(ParseError::bad_version), 400) << "a malformed version is not an unsupported one";
}

TEST(ParseError, LimitErrors) {
  EXPECT_TRUE(is_limit_error(ParseError::body_too_large));
  EXPECT_TRUE(is_limit_error(ParseError::too_many_headers));
  EXPECT_TRUE(is_limit_error(ParseError::start_line_too_long));
  EXPECT_FALSE(is_limit_error(ParseError::chunk_line_too_long))
      << "a 4 KiB chunk line is malformed, not large";
  EXPECT_FALSE(is_limit_error(ParseError::bad_header));
}

}  // namespace
}  // namespace fern::http
