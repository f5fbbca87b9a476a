// open_connection and Server: a task echo server and task clients over real loopback TCP, by name
// and by address; a handler that throws is logged and ends only its connection; close() cancels the
// handlers; TLS with certificates made at run time.
#include "fern/aio/open_connection.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "../../integration/tls/test_pki.hpp"
#include "fern/aio/gather.hpp"
#include "fern/hub/sleep.hpp"

using namespace std::chrono_literals;

namespace fern::aio {
namespace {

Task<void> echo_lines(Stream s, net::Address) {
  while (true) {
    std::string line = co_await s.read_line();
    if (line.empty()) co_return;
    co_await s.write(line);
  }
}

Task<std::string> client(std::string host, std::uint16_t port, std::string message,
                         OpenOptions options = {}) {
  Stream s = co_await open_connection(host, port, options);
  co_await s.write(message + "\n");
  std::string echoed = co_await s.read_until("\n");
  co_return echoed;
}

TEST(OpenConnection, TaskClientsTalkToATaskServer) {
  Server server(net::Address::ipv4_loopback(0), echo_lines);
  server.start();
  auto [a, b] = run(gather(client("127.0.0.1", server.port(), "by address"),
                           client("localhost", server.port(), "by name")));
  EXPECT_EQ(a, "by address\n");
  EXPECT_EQ(b, "by name\n");
}

Task<std::string> refused(std::uint16_t port) {
  try {
    (void)co_await open_connection("127.0.0.1", port, {.timeout = 5s});
  } catch (const std::system_error& e) {
    co_return e.code() == std::errc::connection_refused ? "refused" : e.what();
  }
  co_return "connected";
}

TEST(OpenConnection, ARefusedConnectIsAClearError) {
  std::uint16_t port = 0;
  {
    Server closed_again(net::Address::ipv4_loopback(0), echo_lines);
    closed_again.start();
    port = closed_again.port();
  }
  EXPECT_EQ(run(refused(port)), "refused");
}

TEST(Server, AFailingHandlerIsLoggedAndEndsOnlyItsConnection) {
  std::vector<std::string> log;
  ServerOptions options;
  options.log = [&](std::string_view line) { log.emplace_back(line); };
  Server server(
      net::Address::ipv4_loopback(0),
      [](Stream s, net::Address) -> Task<void> {
        std::string line = co_await s.read_line();
        if (line == "fail\n") throw std::runtime_error("handler failed on purpose");
        co_await s.write(line);
      },
      options);
  server.start();
  EXPECT_THROW(run(client("127.0.0.1", server.port(), "fail")), std::system_error);  // cut: unexpected_eof
  EXPECT_EQ(run(client("127.0.0.1", server.port(), "fine")), "fine\n");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_NE(log[0].find("handler failed on purpose"), std::string::npos) << log[0];
}

Task<std::string> wait_for_end(std::uint16_t port) {
  Stream s = co_await open_connection("127.0.0.1", port);
  co_await s.write("hello\n");
  (void)co_await s.read_line();
  co_return co_await s.read_line();  // empty once the server closed the connection
}

TEST(Server, CloseCancelsTheRunningHandlers) {
  Server server(net::Address::ipv4_loopback(0), echo_lines);
  server.start();
  auto reader = spawn(wait_for_end(server.port()));
  while (server.connection_count() == 0) fern::sleep(1ms);
  fern::sleep(1ms);
  server.close();
  EXPECT_EQ(reader.get(), "");
  EXPECT_EQ(server.connection_count(), 0u);
}

TEST(OpenConnection, TlsClientAndServerTasks) {
  fern_test::TestPki pki;
  fern_test::TestPki::Issued localhost = pki.issue("localhost", "localhost", "DNS:localhost,IP:127.0.0.1");
  net::TlsContext server_context = net::TlsContext::server(localhost.certificate, localhost.key);
  net::TlsContext client_context = net::TlsContext::client(pki.ca_file());
  ServerOptions options;
  options.tls = &server_context;
  Server server(net::Address::ipv4_loopback(0), echo_lines, options);
  server.start();
  EXPECT_EQ(run(client("localhost", server.port(), "over tls", {.tls = &client_context})), "over tls\n");
}

}  // namespace
}  // namespace fern::aio
