// FaultProxy against a real peer: an echo server in a fern greenlet on loopback, reached through the
// proxy by a plain fern socket. Each fault is checked by what the two ends see (bytes, end of stream,
// ECONNRESET) and by the proxy's counters; timing appears only as lower bounds for the faults that
// exist to add delay, and as generous upper bounds that keep a broken proxy from hanging the test.
#include "fault_proxy.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <system_error>
#include <vector>

#include "fern/base/error.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/net/address.hpp"
#include "fern/net/socket.hpp"

namespace fern_test {
namespace {

using namespace std::chrono_literals;
using fern::net::Socket;

// Only keeps a broken proxy from hanging the test; it never decides a result.
constexpr auto kPatience = 20s;
// How long a check that nothing arrives waits. A slow machine can only make it pass wrongly, never
// fail wrongly, since the faults it checks hold bytes forever.
constexpr auto kQuietPeriod = 300ms;

// Echoes every connection until end of stream, then half-closes; counts what it received.
class EchoServer {
 public:
  EchoServer() : listener_(fern::net::listen_tcp(fern::net::Address::ipv4_loopback(0))) {
    port_ = listener_.local_address().port();
    acceptor_ = fern::spawn([this] { accept_loop(); });
  }
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;
  ~EchoServer() {
    listener_.close();
    std::vector<fern::GreenletRef<>> all = sessions_;
    all.push_back(acceptor_);
    fern::killall(all);
  }

  std::uint16_t port() const { return port_; }
  int accepted() const { return accepted_; }
  std::uint64_t received() const { return received_; }
  // Connections that ended with end of stream (not an error) from the proxy.
  int clean_ends() const { return clean_ends_; }

 private:
  void accept_loop() {
    for (;;) {
      std::error_code ec;
      Socket peer = listener_.accept(nullptr, ec);
      if (ec) return;
      ++accepted_;
      sessions_.push_back(fern::spawn([this](Socket s) { echo(s); }, std::move(peer)));
    }
  }
  void echo(Socket& s) {
    char buffer[16 * 1024];
    for (;;) {
      std::error_code ec;
      const std::size_t n = s.recv(buffer, sizeof buffer, ec);
      if (ec) return;
      if (n == 0) {
        ++clean_ends_;
        s.shutdown_write(ec);
        return;
      }
      received_ += n;
      s.send(buffer, n, ec);  // loopback with small payloads: one send takes it all
      if (ec) return;
    }
  }

  Socket listener_;
  std::uint16_t port_ = 0;
  int accepted_ = 0;
  int clean_ends_ = 0;
  std::uint64_t received_ = 0;
  fern::GreenletRef<> acceptor_;
  std::vector<fern::GreenletRef<>> sessions_;
};

std::string pattern(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

Socket connect_to(const FaultProxy& proxy) {
  Socket s = Socket::tcp();
  s.set_timeout(kPatience);
  s.connect(proxy.address());
  return s;
}

// Everything until end of stream or an error (left in `ec`).
std::string read_to_end(Socket& s, std::error_code& ec) {
  std::string out;
  char buffer[4096];
  for (;;) {
    const std::size_t n = s.recv(buffer, sizeof buffer, ec);
    if (ec || n == 0) return out;
    out.append(buffer, n);
  }
}

// Polls `condition` until it holds or the patience runs out; the bound only stops a hang.
bool eventually(const std::function<bool()>& condition) {
  const auto deadline = fern::Clock::now() + kPatience;
  while (!condition()) {
    if (fern::Clock::now() > deadline) return false;
    fern::sleep(1ms);
  }
  return true;
}

// True when nothing arrives on `s` within the quiet period.
bool stays_quiet(Socket& s) {
  char byte;
  std::error_code ec;
  const std::size_t n = s.recv(&byte, 1, ec);
  (void)n;
  return ec == fern::Errc::timed_out;
}

void round_trip(Socket& s, const std::string& data) {
  s.send_all(data);
  EXPECT_EQ(s.recv_exact(data.size()), data);
}

struct ProxyTest : ::testing::Test {
  EchoServer echo;
  FaultProxy proxy{"127.0.0.1", echo.port()};
};

TEST_F(ProxyTest, PassesBytesThroughUnchangedAndCountsThem) {
  Socket s = connect_to(proxy);
  const std::string data = pattern(1 << 20);
  auto writer = fern::spawn([&] { s.send_all(data); });
  EXPECT_EQ(s.recv_exact(data.size()), data);
  writer->join();
  std::error_code ec;
  s.shutdown_write(ec);
  EXPECT_EQ(read_to_end(s, ec), "");  // the echo server's half-close came through
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(proxy.connections_accepted(), 1u);
  EXPECT_EQ(proxy.bytes_forwarded(Direction::upstream), data.size());
  EXPECT_EQ(proxy.bytes_forwarded(Direction::downstream), data.size());
  EXPECT_EQ(echo.received(), data.size());
  EXPECT_TRUE(eventually([&] { return proxy.live_connections() == 0; }));
}

TEST_F(ProxyTest, CutDownstreamAfterNBytesDeliversExactlyThoseThenEndOfStream) {
  Socket s = connect_to(proxy);
  round_trip(s, "warm-up");
  proxy.cut_after(Direction::downstream, 40);
  const std::string data = pattern(100);
  s.send_all(data);
  std::error_code ec;
  EXPECT_EQ(read_to_end(s, ec), data.substr(0, 40));
  EXPECT_FALSE(ec) << "a cut is a clean close, not " << ec.message();
}

TEST_F(ProxyTest, CutUpstreamAfterNBytesLetsExactlyThoseReachTheServer) {
  Socket s = connect_to(proxy);
  proxy.cut_after(Direction::upstream, 30);
  s.send_all(pattern(100));
  std::error_code ec;
  read_to_end(s, ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_TRUE(eventually([&] { return echo.clean_ends() == 1; }));
  EXPECT_EQ(echo.received(), 30u);
  EXPECT_EQ(proxy.bytes_forwarded(Direction::upstream), 30u);
}

TEST_F(ProxyTest, ResetAfterNBytesGivesTheClientConnectionReset) {
  Socket s = connect_to(proxy);
  proxy.reset_after(Direction::downstream, 10);
  const std::string data = pattern(100);
  s.send_all(data);
  std::error_code ec;
  const std::string got = read_to_end(s, ec);
  EXPECT_EQ(ec, std::errc::connection_reset) << ec.message();
  // RST drops what the proxy had not yet sent, so at most the 10 bytes arrive before it.
  EXPECT_LE(got.size(), 10u);
  EXPECT_EQ(got, data.substr(0, got.size()));
}

TEST_F(ProxyTest, ResetAllResetsAnIdleConnection) {
  Socket s = connect_to(proxy);
  round_trip(s, "hello");
  proxy.reset_all();
  std::error_code ec;
  EXPECT_EQ(read_to_end(s, ec), "");
  EXPECT_EQ(ec, std::errc::connection_reset) << ec.message();
}

TEST_F(ProxyTest, CloseAllEndsLiveConnectionsCleanly) {
  Socket s = connect_to(proxy);
  round_trip(s, "hello");
  proxy.close_all();
  std::error_code ec;
  EXPECT_EQ(read_to_end(s, ec), "");
  EXPECT_FALSE(ec) << ec.message();
}

TEST_F(ProxyTest, LatencyDelaysEachPieceAndKeepsOrder) {
  Socket s = connect_to(proxy);
  round_trip(s, "warm-up");
  proxy.set_latency(Direction::downstream, 100ms);
  const auto start = fern::Clock::now();
  round_trip(s, "first");
  EXPECT_GE(fern::Clock::now() - start, 100ms);
  std::string all;
  for (int i = 0; i < 5; ++i) {
    const std::string piece = "piece-" + std::to_string(i) + ";";
    s.send_all(piece);
    all += piece;
  }
  EXPECT_EQ(s.recv_exact(all.size()), all);
}

TEST_F(ProxyTest, BandwidthCapSlowsTheStreamDown) {
  Socket s = connect_to(proxy);
  round_trip(s, "warm-up");
  proxy.set_bandwidth(Direction::downstream, 20'000);
  const std::string data = pattern(10'000);
  const auto start = fern::Clock::now();
  round_trip(s, data);
  // 10 kB at 20 kB/s: about half a second; the last piece's pause may not have passed yet.
  EXPECT_GE(fern::Clock::now() - start, 400ms);
}

TEST_F(ProxyTest, StallMidFrameHoldsTheRestUntilCleared) {
  Socket s = connect_to(proxy);
  round_trip(s, "warm-up");
  proxy.stall_after(Direction::downstream, 5);
  const std::string data = pattern(20);
  s.send_all(data);
  EXPECT_EQ(s.recv_exact(5), data.substr(0, 5));
  ASSERT_TRUE(eventually([&] { return echo.received() == 7 + data.size(); }));
  s.set_timeout(kQuietPeriod);
  EXPECT_TRUE(stays_quiet(s));
  EXPECT_EQ(proxy.bytes_forwarded(Direction::downstream), 7 + 5u);
  proxy.clear();
  s.set_timeout(kPatience);
  EXPECT_EQ(s.recv_exact(15), data.substr(5));
  round_trip(s, "after");
}

TEST_F(ProxyTest, StallUpstreamKeepsBytesFromTheServer) {
  Socket s = connect_to(proxy);
  proxy.stall(Direction::upstream);
  s.send_all("held");
  s.set_timeout(kQuietPeriod);
  EXPECT_TRUE(stays_quiet(s));
  EXPECT_EQ(echo.received(), 0u);
  proxy.clear();
  s.set_timeout(kPatience);
  EXPECT_EQ(s.recv_exact(4), "held");
}

TEST_F(ProxyTest, BlackHoleSwallowsNewConnectionsAndLiveOnes) {
  Socket live = connect_to(proxy);
  round_trip(live, "before");
  proxy.set_black_hole(true);
  Socket fresh = connect_to(proxy);
  fresh.send_all("into the void");
  live.send_all("dropped");
  ASSERT_TRUE(eventually([&] { return proxy.bytes_dropped(Direction::upstream) == 13 + 7u; }));
  fresh.set_timeout(kQuietPeriod);
  live.set_timeout(kQuietPeriod);
  EXPECT_TRUE(stays_quiet(fresh));
  EXPECT_TRUE(stays_quiet(live));
  EXPECT_EQ(echo.accepted(), 1);  // the black-holed connection never reached the server
  EXPECT_EQ(echo.received(), 6u);
  proxy.clear();
  live.set_timeout(kPatience);
  round_trip(live, "after");  // live connections forward again; the dropped bytes stay lost
}

TEST_F(ProxyTest, RefuseClosesNewConnectionsAtOnce) {
  Socket live = connect_to(proxy);
  round_trip(live, "before");
  proxy.set_refuse(true);
  Socket refused = connect_to(proxy);
  std::error_code ec;
  EXPECT_EQ(read_to_end(refused, ec), "");
  EXPECT_FALSE(ec) << ec.message();
  round_trip(live, "still served");
  EXPECT_EQ(echo.accepted(), 1);
  EXPECT_EQ(proxy.connections_accepted(), 2u);
}

TEST_F(ProxyTest, ClearRestoresAPassThroughForNewConnections) {
  proxy.set_latency(Direction::upstream, 50ms);
  proxy.set_bandwidth(Direction::upstream, 1000);
  proxy.cut_after(Direction::downstream, 3);
  proxy.set_refuse(true);
  proxy.clear();
  Socket s = connect_to(proxy);
  const std::string data = pattern(256 * 1024);
  auto writer = fern::spawn([&] { s.send_all(data); });
  EXPECT_EQ(s.recv_exact(data.size()), data);
  writer->join();
}

}  // namespace
}  // namespace fern_test
