// DatagramServer: real UDP on 127.0.0.1 with the client in a greenlet of the same thread: replies
// through send_to, failures logged without stopping the server, the concurrency limit, and stop.
#include "fern/net/datagram_server.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string>
#include <vector>

#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"

namespace fern::net {
namespace {

using namespace std::chrono_literals;

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

void shout(std::string_view datagram, const Address& from, DatagramServer& server) {
  server.send_to(upper(datagram), from);
}

Socket client_socket() {
  Socket s = Socket::udp();
  s.set_timeout(10s);
  return s;
}

std::string exchange(Socket& s, std::string_view message, const DatagramServer& server) {
  s.send_to(message, Address::ipv4_loopback(server.port()));
  char buffer[2048];
  Address from;
  std::size_t n = s.recv_from(buffer, sizeof buffer, from);
  EXPECT_EQ(from.port(), server.port());
  return std::string(buffer, n);
}

TEST(DatagramServer, RepliesToEachSender) {
  DatagramServer server(Address::ipv4_loopback(0), shout);
  server.start();
  ASSERT_NE(server.port(), 0);
  Socket a = client_socket(), b = client_socket();
  EXPECT_EQ(exchange(a, "hello", server), "HELLO");
  EXPECT_EQ(exchange(b, "fern", server), "FERN");
  EXPECT_EQ(exchange(a, "again", server), "AGAIN");
  EXPECT_TRUE(server.stop(1s));
}

TEST(DatagramServer, AFailingHandlerIsLoggedAndTheServerGoesOn) {
  std::vector<std::string> log;
  DatagramServerOptions options;
  options.log = [&](std::string_view line) { log.emplace_back(line); };
  DatagramServer server(
      "127.0.0.1", 0,
      [](std::string_view d, const Address& from, DatagramServer& s) {
        if (d == "bad") throw std::runtime_error("cannot shout that");
        shout(d, from, s);
      },
      options);
  server.start();
  Socket c = client_socket();
  c.send_to("bad", Address::ipv4_loopback(server.port()));
  EXPECT_EQ(exchange(c, "good", server), "GOOD");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_NE(log[0].find("cannot shout that"), std::string::npos);
  EXPECT_NE(log[0].find("127.0.0.1:" + std::to_string(c.local_address().port())), std::string::npos);
  server.close();
}

TEST(DatagramServer, ConcurrencyRunsHandlersSideBySideUpToTheLimit) {
  std::size_t running = 0, most = 0;
  DatagramServerOptions options;
  options.concurrency = 3;
  DatagramServer server(
      Address::ipv4_loopback(0),
      [&](std::string_view d, const Address& from, DatagramServer& s) {
        most = std::max(most, ++running);
        sleep(30ms);
        --running;
        s.send_to(d, from);
      },
      options);
  server.start();
  Socket c = client_socket();
  for (int i = 0; i < 8; ++i) c.send_to("n" + std::to_string(i), Address::ipv4_loopback(server.port()));
  std::vector<std::string> replies;
  char buffer[64];
  Address from;
  for (int i = 0; i < 8; ++i) replies.emplace_back(buffer, c.recv_from(buffer, sizeof buffer, from));
  std::sort(replies.begin(), replies.end());
  for (int i = 0; i < 8; ++i) EXPECT_EQ(replies[static_cast<std::size_t>(i)], "n" + std::to_string(i));
  EXPECT_EQ(most, 3u);
  EXPECT_TRUE(server.stop(1s));
}

TEST(DatagramServer, InlineHandlersKeepTheOrderOfDatagrams) {
  std::vector<std::string> seen;
  DatagramServer server(Address::ipv4_loopback(0),
                        [&](std::string_view d, const Address&, DatagramServer&) { seen.emplace_back(d); });
  server.start();
  Socket c = client_socket();
  for (int i = 0; i < 20; ++i) c.send_to(std::to_string(i), Address::ipv4_loopback(server.port()));
  for (int i = 0; i < 1000 && seen.size() < 20; ++i) sleep(1ms);
  ASSERT_EQ(seen.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(i)], std::to_string(i));
  server.close();
}

TEST(DatagramServer, StopWaitsForARunningHandlerThenServeForeverReturns) {
  bool finished = false;
  DatagramServer server(Address::ipv4_loopback(0), [&](std::string_view, const Address&, DatagramServer&) {
    sleep(50ms);
    finished = true;
  });
  auto stopper = spawn([&] {
    while (!server.started()) sleep(1ms);
    Socket c = client_socket();
    c.send_to("x", Address::ipv4_loopback(server.port()));
    sleep(10ms);
    EXPECT_TRUE(server.stop(5s));
  });
  server.serve_forever();
  stopper.get();
  EXPECT_TRUE(finished);
  EXPECT_TRUE(server.closed());
}

TEST(DatagramServer, StopKillsAHandlerThatOutlivesTheGrace) {
  DatagramServer server(Address::ipv4_loopback(0), [&](std::string_view, const Address&, DatagramServer&) {
    sleep(std::chrono::hours(1));
  });
  server.start();
  Socket c = client_socket();
  c.send_to("x", Address::ipv4_loopback(server.port()));
  sleep(10ms);
  EXPECT_FALSE(server.stop(10ms));
  EXPECT_TRUE(server.closed());
}

}  // namespace
}  // namespace fern::net
