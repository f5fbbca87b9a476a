// HTTP dates: IMF-fixdate formatting and parsing, and the per-second cache.
#include <gtest/gtest.h>

#include <chrono>

#include <fern/http/date.hpp>

namespace fern::http {
namespace {

using std::chrono::system_clock;

system_clock::time_point from_unix(long long seconds) {
  return system_clock::time_point(std::chrono::seconds(seconds));
}

TEST(HttpDate, FormatsImfFixdate) {
  EXPECT_EQ(format_http_date(from_unix(784111777)), "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110's example
  EXPECT_EQ(format_http_date(from_unix(0)), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(format_http_date(from_unix(951782400)), "Tue, 29 Feb 2000 00:00:00 GMT");
  EXPECT_EQ(format_http_date(from_unix(4102444799) + std::chrono::milliseconds(999)),
            "Thu, 31 Dec 2099 23:59:59 GMT");
}

TEST(HttpDate, ParsesWhatItFormats) {
  for (long long t : {0LL, 784111777LL, 951782400LL, 1700000000LL, 4102444799LL}) {
    EXPECT_EQ(parse_http_date(format_http_date(from_unix(t))), from_unix(t)) << t;
  }
}

TEST(HttpDate, RejectsOtherForms) {
  for (const char* text :
       {"Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "", "Mon, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nox 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:49:37 GMT", "Sun, 0x Nov 1994 08:49:37 GMT"}) {
    EXPECT_EQ(parse_http_date(text), std::nullopt) << text;
  }
}

// IMF-fixdate has four-digit years, system_clock (nanoseconds in 64 bits) holds 1677-09-21 to
// 2262-04-11: a date outside is refused instead of overflowing the conversion (found by fuzzing).
TEST(HttpDate, RefusesDatesSystemClockCannotHold) {
  for (const char* text : {"Sat, 01 Jan 1600 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT",
                           "Tue, 21 Sep 1677 00:12:43 GMT", "Fri, 11 Apr 2262 23:47:17 GMT"}) {
    EXPECT_EQ(parse_http_date(text), std::nullopt) << text;
  }
  EXPECT_EQ(parse_http_date("Tue, 21 Sep 1677 00:12:44 GMT"), from_unix(-9223372036LL));
  EXPECT_EQ(parse_http_date("Fri, 11 Apr 2262 23:47:16 GMT"), from_unix(9223372036LL));
}

TEST(HttpDate, CacheFormatsOncePerSecond) {
  HttpDateCache cache;
  const auto t = from_unix(784111777);
  std::string_view first = cache.at(t);
  EXPECT_EQ(first, "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(cache.at(t + std::chrono::milliseconds(500)).data(), first.data()) << "same second, same text";
  EXPECT_EQ(cache.at(t + std::chrono::seconds(1)), "Sun, 06 Nov 1994 08:49:38 GMT");
  EXPECT_EQ(cache.now().size(), 29u);
}

}  // namespace
}  // namespace fern::http
