// Address: numeric parsing in every family, printing, and the errors for text that is no address.
#include "fern/net/address.hpp"

#include <gtest/gtest.h>

#include <string_view>
#include <system_error>

#include "fern/base/error.hpp"

namespace fern::net {
namespace {

TEST(Address, ParsesIpv4AndIpv6WithPorts) {
  Address v4 = Address::ip("127.0.0.1", 8080);
  EXPECT_TRUE(v4.is_ipv4());
  EXPECT_EQ(v4.port(), 8080);
  EXPECT_EQ(v4.host(), "127.0.0.1");
  EXPECT_EQ(v4.to_string(), "127.0.0.1:8080");

  Address v6 = Address::ip("::1", 443);
  EXPECT_TRUE(v6.is_ipv6());
  EXPECT_EQ(v6.to_string(), "[::1]:443");
  EXPECT_EQ(Address::ip("[::1]", 443), v6);  // bracketed literals, as in URLs
}

TEST(Address, RejectsNamesAndGarbage) {
  EXPECT_FALSE(Address::parse("localhost", 80));
  EXPECT_FALSE(Address::parse("1.2.3", 80));
  EXPECT_FALSE(Address::parse("", 80));
  EXPECT_FALSE(Address::parse("fe80::1%no-such-interface", 80));
  try {
    Address::ip("999.1.1.1", 1);
    FAIL() << "expected an error";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), make_error_code(Errc::invalid_argument));
    EXPECT_NE(std::string(e.what()).find("999.1.1.1"), std::string::npos);
  }
}

TEST(Address, UnixPathsAndAbstractNames) {
  Address path = Address::unix_path("/tmp/fern.sock");
  EXPECT_TRUE(path.is_unix());
  EXPECT_EQ(path.host(), "/tmp/fern.sock");
  EXPECT_EQ(path.to_string(), "unix:/tmp/fern.sock");
  Address abstract = Address::unix_path("@fern-test");
  EXPECT_EQ(abstract.host(), "@fern-test");
  EXPECT_NE(path, abstract);
  EXPECT_THROW(Address::unix_path(std::string(200, 'x')), std::system_error);
}

// A NUL ends the text for inet_pton and the kernel: such text is refused rather than cut short, and
// a path starting with NUL does not turn into an abstract name (found by fuzzing).
TEST(Address, RefusesEmbeddedNulBytes) {
  using namespace std::string_view_literals;
  EXPECT_FALSE(Address::parse("1.2.3.4\0junk"sv, 80));
  EXPECT_FALSE(Address::parse("::1\0"sv, 80));
  EXPECT_FALSE(Address::parse("fe80::1%lo\0x"sv, 80));
  EXPECT_THROW(Address::unix_path("\0"sv), std::system_error);
  EXPECT_THROW(Address::unix_path("/tmp/a\0b"sv), std::system_error);
  EXPECT_EQ(Address::unix_path("@a\0b"sv).host(), "@a\0b"sv);  // abstract names may hold NUL bytes
}

TEST(Address, LoopbackAndAnyHelpers) {
  EXPECT_EQ(Address::ipv4_loopback(1).host(), "127.0.0.1");
  EXPECT_EQ(Address::ipv6_loopback(1).host(), "::1");
  EXPECT_EQ(Address::ipv4_any().host(), "0.0.0.0");
  EXPECT_EQ(Address::ipv6_any().host(), "::");
}

}  // namespace
}  // namespace fern::net
