// Message heads: versions, reason phrases and which statuses never carry a body.
#include <gtest/gtest.h>

#include <fern/http/message.hpp>

namespace fern::http {
namespace {

TEST(Message, ReasonPhrases) {
  EXPECT_EQ(reason_phrase(200), "OK");
  EXPECT_EQ(reason_phrase(404), "Not Found");
  EXPECT_EQ(reason_phrase(413), "Content Too Large");
  EXPECT_EQ(reason_phrase(414), "URI Too Long");
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(505), "HTTP Version Not Supported");
  EXPECT_EQ(reason_phrase(299), "");
  EXPECT_EQ(reason_phrase(-1), "");
}

TEST(Message, StatusesWithoutBody) {
  EXPECT_TRUE(status_forbids_body(100));
  EXPECT_TRUE(status_forbids_body(101));
  EXPECT_TRUE(status_forbids_body(199));
  EXPECT_TRUE(status_forbids_body(204));
  EXPECT_TRUE(status_forbids_body(304));
  EXPECT_FALSE(status_forbids_body(200));
  EXPECT_FALSE(status_forbids_body(205));
  EXPECT_FALSE(status_forbids_body(404));
}

TEST(Message, Versions) {
  EXPECT_EQ(kHttp11, (Version{1, 1}));
  EXPECT_NE(kHttp10, kHttp11);
  RequestHead r;
  EXPECT_EQ(r.version, kHttp11);
  EXPECT_TRUE(r.headers.empty());
}

}  // namespace
}  // namespace fern::http
