// parse_url and resolve_url: the parts of valid URLs, a clear error for each kind of malformed one,
// and redirect resolution (RFC 3986 section 5.4's examples that apply to http).
#include "fern/http/url.hpp"

#include <gtest/gtest.h>

#include <string>
#include <system_error>

#include "fern/base/error.hpp"

namespace {

using fern::http::parse_url;
using fern::http::resolve_url;
using fern::http::try_parse_url;
using fern::http::Url;

TEST(UrlTest, SplitsSchemeHostPortAndTarget) {
  Url u = parse_url("http://example.com:8080/a/b?x=1&y=2#frag");
  EXPECT_EQ(u.scheme, "http");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.target, "/a/b?x=1&y=2");
  EXPECT_EQ(u.authority(), "example.com:8080");
  EXPECT_EQ(u.origin(), "http://example.com:8080");
}

TEST(UrlTest, DefaultsPortAndPathAndLowersSchemeAndHost) {
  Url u = parse_url("HTTP://Example.COM");
  EXPECT_EQ(u.scheme, "http");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.port, 80);
  EXPECT_EQ(u.target, "/");
  EXPECT_EQ(u.authority(), "example.com");
  EXPECT_EQ(parse_url("https://h").port, 443);
  EXPECT_EQ(parse_url("https://h:443/").authority(), "h");
  EXPECT_EQ(parse_url("http://h:/p").port, 80);  // an empty port is the default (RFC 3986 3.2.3)
  EXPECT_EQ(parse_url("http://h?q=1").target, "/?q=1");
  EXPECT_EQ(parse_url("http://h#top").target, "/");
}

TEST(UrlTest, AcceptsIpv4AndIpv6Literals) {
  Url v4 = parse_url("http://127.0.0.1:9000/x");
  EXPECT_EQ(v4.host, "127.0.0.1");
  EXPECT_FALSE(v4.is_ipv6());
  Url v6 = parse_url("http://[::1]:8080/x");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_TRUE(v6.is_ipv6());
  EXPECT_EQ(v6.port, 8080);
  EXPECT_EQ(v6.authority(), "[::1]:8080");
  EXPECT_EQ(v6.to_string(), "http://[::1]:8080/x");
  EXPECT_EQ(parse_url("http://[2001:DB8::1]/").host, "2001:db8::1");
  EXPECT_EQ(parse_url("http://[::ffff:1.2.3.4]").port, 80);
}

void expect_rejected(const std::string& text, const std::string& fault) {
  std::string why;
  EXPECT_FALSE(try_parse_url(text, &why).has_value()) << text;
  EXPECT_NE(why.find(fault), std::string::npos) << text << ": " << why;
  try {
    parse_url(text);
    ADD_FAILURE() << text << " was accepted";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), fern::Errc::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("invalid URL"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(fault), std::string::npos) << e.what();
  }
}

TEST(UrlTest, RejectsMalformedUrlsSayingWhy) {
  expect_rejected("", "no scheme");
  expect_rejected("example.com/x", "no scheme");
  expect_rejected("ftp://h/", "unsupported scheme \"ftp\"");
  expect_rejected("http:/h/", "no \"//\"");
  expect_rejected("http://", "empty host");
  expect_rejected("http:///path", "empty host");
  expect_rejected("http://:80/", "empty host");
  expect_rejected("http://h:0/", "out of range");
  expect_rejected("http://h:65536/", "out of range");
  expect_rejected("http://h:99999999999999999999/", "out of range");
  expect_rejected("http://h:8x/", "not a number");
  expect_rejected("http://h:-1/", "not a number");
  expect_rejected("http://user:pw@h/", "user information");
  expect_rejected("http://h o/", "invalid character in host");
  expect_rejected("http://h/a b", "space, control or non-ASCII");
  expect_rejected("http://h/a\r\nX: y", "space, control or non-ASCII");
  expect_rejected("http://h/\xc3\xa9", "space, control or non-ASCII");
  expect_rejected("http://h/%4", "'%' not followed");
  expect_rejected("http://h/%zz", "'%' not followed");
  expect_rejected("http://[::1/", "closing ']'");
  expect_rejected("http://[::g]/", "not an IPv6 address");
  expect_rejected("http://[fe80::1%25eth0]/", "zone");
  expect_rejected(std::string("http://[::\0x]/", 15), "not an IPv6 address");  // found by fuzz_http_url
  expect_rejected("http://[::1]x/", "after the IPv6 literal");
}

TEST(UrlTest, ErrorMessageHidesControlBytes) {
  try {
    parse_url("http://h/\x01\n");
    FAIL();
  } catch (const std::system_error& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
  }
}

TEST(UrlTest, ResolvesRedirectLocations) {
  Url base = parse_url("http://a:81/b/c/d;p?q");
  EXPECT_EQ(resolve_url(base, "g").to_string(), "http://a:81/b/c/g");
  EXPECT_EQ(resolve_url(base, "./g").to_string(), "http://a:81/b/c/g");
  EXPECT_EQ(resolve_url(base, "g/").to_string(), "http://a:81/b/c/g/");
  EXPECT_EQ(resolve_url(base, "/g").to_string(), "http://a:81/g");
  EXPECT_EQ(resolve_url(base, "//g").to_string(), "http://g/");
  EXPECT_EQ(resolve_url(base, "?y").to_string(), "http://a:81/b/c/d;p?y");
  EXPECT_EQ(resolve_url(base, "g?y").to_string(), "http://a:81/b/c/g?y");
  EXPECT_EQ(resolve_url(base, "#s").to_string(), "http://a:81/b/c/d;p?q");
  EXPECT_EQ(resolve_url(base, "..").to_string(), "http://a:81/b/");
  EXPECT_EQ(resolve_url(base, "../g").to_string(), "http://a:81/b/g");
  EXPECT_EQ(resolve_url(base, "../..").to_string(), "http://a:81/");
  EXPECT_EQ(resolve_url(base, "../../../g").to_string(), "http://a:81/g");
  EXPECT_EQ(resolve_url(base, "/./g").to_string(), "http://a:81/g");
  EXPECT_EQ(resolve_url(base, "g/../h").to_string(), "http://a:81/b/c/h");
  EXPECT_EQ(resolve_url(base, "https://other/x").to_string(), "https://other/x");
  EXPECT_EQ(resolve_url(base, "HTTP://Other:82").to_string(), "http://other:82/");
  EXPECT_THROW(resolve_url(base, "ftp://x/"), std::system_error);
  EXPECT_THROW(resolve_url(base, "/a b"), std::system_error);
}

}  // namespace
