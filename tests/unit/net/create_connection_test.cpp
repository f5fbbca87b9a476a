// create_connection: names and numeric addresses, IPv4 and IPv6, each candidate tried in turn,
// errors that name what failed, and an overall timeout.
#include "fern/net/create_connection.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <string>

#include "fern/base/error.hpp"
#include "fern/hub/spawn.hpp"

namespace fern::net {
namespace {

using namespace std::chrono_literals;

TEST(CreateConnection, ConnectsByNameAndByNumber) {
  Socket v4 = listen_tcp(Address::ipv4_loopback());
  const std::uint16_t port = v4.local_address().port();
  auto acceptor = spawn([&] {
    Socket a = v4.accept();
    Socket b = v4.accept();
    a.send_all("a");
    b.send_all("b");
  });
  Socket by_number = create_connection("127.0.0.1", port, 5s);
  Socket by_name = create_connection("localhost", port, 5s);
  EXPECT_EQ(by_number.get_option(IPPROTO_TCP, TCP_NODELAY), 1);
  EXPECT_EQ(by_number.timeout(), Duration(5s));
  EXPECT_EQ(by_number.recv(1) + by_name.recv(1), "ab");
  acceptor.get();
}

TEST(CreateConnection, Ipv6Literal) {
  Socket v6 = listen_tcp(Address::ipv6_loopback());
  auto acceptor = spawn([&] { v6.accept().send_all("6"); });
  Socket s = create_connection("::1", v6.local_address().port());
  EXPECT_EQ(s.recv(1), "6");
  acceptor.get();
}

TEST(CreateConnection, RefusedNamesHostAndPort) {
  std::uint16_t port;
  {
    Socket s = listen_tcp(Address::ipv4_loopback());
    port = s.local_address().port();
  }
  try {
    create_connection("127.0.0.1", port, 5s);
    FAIL() << "expected ECONNREFUSED";
  } catch (const std::system_error& e) {
    EXPECT_TRUE(e.code() == std::errc::connection_refused) << e.code().message();
    // Named once: a literal address is not repeated as "the address tried".
    const std::string what = e.what();
    const std::string target = "127.0.0.1:" + std::to_string(port);
    EXPECT_EQ(what, "fern: connect to " + target + ": " + e.code().message());
  }
}

TEST(CreateConnection, UnknownNameIsAResolverError) {
  try {
    create_connection("no-such-host.invalid", 80, 10s);
    FAIL() << "expected a resolver error";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-host.invalid"), std::string::npos);
  }
}

}  // namespace
}  // namespace fern::net
