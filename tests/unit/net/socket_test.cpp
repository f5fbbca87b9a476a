// Socket: real TCP, UDP and Unix sockets on loopback, with both ends in greenlets of one thread:
// nothing may block the hub, timeouts fail with Errc::timed_out, closing wakes waiters, end of
// stream is a value.
#include "fern/net/socket.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "fern/base/error.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"

namespace fern::net {
namespace {

using namespace std::chrono_literals;

Socket listener(int family = AF_INET) {
  return listen_tcp(family == AF_INET ? Address::ipv4_loopback() : Address::ipv6_loopback());
}

TEST(Socket, TcpEchoBetweenGreenlets) {
  Socket server = listener();
  Address at = server.local_address();
  auto echo = spawn([&] {
    Address peer;
    Socket conn = server.accept(&peer);
    EXPECT_TRUE(peer.is_ipv4());
    char buffer[4096];
    while (std::size_t n = conn.recv(buffer, sizeof buffer)) conn.send_all(buffer, n);
  });
  Socket client = Socket::tcp();
  client.connect(at, 5s);
  EXPECT_EQ(client.peer_address(), at);
  client.send_all("hello fern");
  EXPECT_EQ(client.recv_exact(10), "hello fern");
  client.shutdown(SHUT_WR);
  EXPECT_EQ(client.recv(16), "");  // end of stream is an empty read, not an error
  echo.get();
}

TEST(Socket, Ipv6AndLargeTransfersBothWays) {
  Socket server = listener(AF_INET6);
  const std::string payload(8 << 20, 'x');
  auto sink = spawn([&] {
    Socket conn = server.accept();
    std::string got = conn.recv_exact(payload.size());
    conn.send_all(got);
  });
  Socket client = Socket::tcp(AF_INET6);
  client.connect(server.local_address());
  // The sender and the receiver run in one thread: send_all must park on a full buffer.
  auto sender = spawn([&] { client.send_all(payload); });
  std::string back = client.recv_exact(payload.size());
  sender.get();
  EXPECT_EQ(back, payload);
  sink.get();
}

TEST(Socket, RecvTimesOutWithoutBlockingOthers) {
  Socket server = listener();
  Socket client = Socket::tcp();
  client.connect(server.local_address());
  Socket conn = server.accept();
  int ticks = 0;
  auto ticker = spawn([&] {
    for (int i = 0; i < 5; ++i) {
      sleep(1ms);
      ++ticks;
    }
  });
  conn.set_timeout(50ms);
  char byte;
  std::error_code ec;
  EXPECT_EQ(conn.recv(&byte, 1, ec), 0u);
  EXPECT_EQ(ec, make_error_code(Errc::timed_out));
  try {
    conn.recv(&byte, 1);
    FAIL() << "expected a timeout";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), make_error_code(Errc::timed_out));
  }
  ticker.get();
  EXPECT_EQ(ticks, 5);
}

TEST(Socket, AcceptTimesOut) {
  Socket server = listener();
  server.set_timeout(20ms);
  std::error_code ec;
  Socket none = server.accept(nullptr, ec);
  EXPECT_FALSE(none);
  EXPECT_EQ(ec, make_error_code(Errc::timed_out));
}

TEST(Socket, ConnectRefusedIsAClearError) {
  Address closed;
  {
    Socket s = listener();
    closed = s.local_address();
  }
  Socket client = Socket::tcp();
  try {
    client.connect(closed, 5s);
    FAIL() << "expected ECONNREFUSED";
  } catch (const std::system_error& e) {
    EXPECT_TRUE(e.code() == std::errc::connection_refused) << e.code().message();
    EXPECT_NE(std::string(e.what()).find(closed.to_string()), std::string::npos);
  }
}

TEST(Socket, ClosingWakesAParkedReaderWithClosed) {
  Socket server = listener();
  Socket client = Socket::tcp();
  client.connect(server.local_address());
  Socket conn = server.accept();
  std::error_code seen;
  auto reader = spawn([&] {
    char byte;
    conn.recv(&byte, 1, seen);
  });
  sleep(1ms);
  conn.close();
  reader.get();
  EXPECT_EQ(seen, make_error_code(Errc::closed));
}

TEST(Socket, KillingAParkedReaderUnwindsIt) {
  Socket server = listener();
  Socket client = Socket::tcp();
  client.connect(server.local_address());
  Socket conn = server.accept();
  bool unwound = false;
  auto reader = spawn([&] {
    struct Flag {
      bool& f;
      ~Flag() { f = true; }
    } flag{unwound};
    char byte;
    conn.recv(&byte, 1);
  });
  sleep(1ms);
  reader->kill();
  EXPECT_TRUE(unwound);
  // The socket is still usable after the waiter left.
  client.send_all("z");
  char byte = 0;
  EXPECT_EQ(conn.recv(&byte, 1), 1u);
  EXPECT_EQ(byte, 'z');
}

TEST(Socket, PeerResetIsAnError) {
  Socket server = listener();
  Socket client = Socket::tcp();
  client.connect(server.local_address());
  Socket conn = server.accept();
  ::linger hard{1, 0};
  ::setsockopt(client.fd(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  client.close();  // RST
  char byte;
  std::error_code ec;
  conn.recv(&byte, 1, ec);
  EXPECT_TRUE(ec == std::errc::connection_reset) << ec.message();
}

TEST(Socket, UdpDatagramsWithAddresses) {
  Socket a = Socket::udp();
  a.bind(Address::ipv4_loopback());
  Socket b = Socket::udp();
  b.bind(Address::ipv4_loopback());
  auto receiver = spawn([&] {
    char buffer[64];
    Address from;
    std::size_t n = b.recv_from(buffer, sizeof buffer, from);
    EXPECT_EQ(from, a.local_address());
    b.send_to(std::string_view(buffer, n), from);
  });
  a.send_to("ping", b.local_address());
  char buffer[64];
  Address from;
  std::size_t n = a.recv_from(buffer, sizeof buffer, from);
  EXPECT_EQ(std::string(buffer, n), "ping");
  EXPECT_EQ(from, b.local_address());
  receiver.get();
}

TEST(Socket, UnixStreamSockets) {
  Address path = Address::unix_path("@fern-socket-test-" + std::to_string(::getpid()));
  Socket server = Socket::unix_stream();
  server.bind(path);
  server.listen();
  auto echo = spawn([&] {
    Socket conn = server.accept();
    conn.send_all(conn.recv_exact(3));
  });
  Socket client = Socket::unix_stream();
  client.connect(path);
  client.send_all("abc");
  EXPECT_EQ(client.recv_exact(3), "abc");
  echo.get();
}

TEST(Socket, RecvExactFailsWhenTheStreamEndsEarly) {
  Socket server = listener();
  Socket client = Socket::tcp();
  client.connect(server.local_address());
  Socket conn = server.accept();
  client.send_all("ab");
  client.close();
  try {
    conn.recv_exact(3);
    FAIL() << "expected unexpected_eof";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), make_error_code(Errc::unexpected_eof));
  }
}

TEST(Socket, ManyConnectionsInOneThread) {
  Socket server = listener();
  constexpr int kClients = 200;
  auto acceptor = spawn([&] {
    std::vector<GreenletRef<void>> handlers;
    for (int i = 0; i < kClients; ++i) {
      handlers.push_back(spawn([conn = server.accept()]() mutable {
        char buffer[64];
        while (std::size_t n = conn.recv(buffer, sizeof buffer)) conn.send_all(buffer, n);
      }));
    }
    joinall(handlers);
  });
  std::vector<GreenletRef<std::string>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(spawn([&, i] {
      Socket s = Socket::tcp();
      s.connect(server.local_address());
      std::string message = "client-" + std::to_string(i);
      s.send_all(message);
      std::string back = s.recv_exact(message.size());
      return back;
    }));
  }
  for (int i = 0; i < kClients; ++i) EXPECT_EQ(clients[i].get(), "client-" + std::to_string(i));
  acceptor.get();
}

}  // namespace
}  // namespace fern::net
