// How the client fails: malformed bytes and closes mid-reply from a fake server (a fern greenlet on
// a raw socket), a reply nobody asked for, the real server killed and restarted under load
// (callers get errors, then recover, and no reply ever reaches the wrong caller), a refused
// connect with backoff, and a wrong password.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fern/base/error.hpp"
#include "fern/base/outcome.hpp"
#include "fern/clients/redis/client.hpp"
#include "fern/clients/redis/reply_error.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "redis_test_support.hpp"

namespace redis = fern::redis;
using namespace std::chrono_literals;
using fern_redis_test::FakeServer;

namespace {

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::system_error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(FailuresTest, MalformedReplyFailsThePendingCallsWithAProtocolError) {
  FakeServer server([](fern::net::Socket& s, int index) {
    std::string buffer;
    if (index > 0) {  // the reconnect after the failure is served properly
      while (!FakeServer::read_command(s, buffer).empty()) s.send_all("+PONG\r\n");
      return;
    }
    FakeServer::read_command(s, buffer);
    FakeServer::read_command(s, buffer);
    s.send_all("+OK\r\n$3\r\nab");  // the second reply is cut short ...
    fern::sleep(10ms);
    s.send_all("c?garbage\r\n");  // ... and its CRLF is garbage
    fern::sleep(1s);
  });
  redis::Connection c(server.options());
  std::string first, second;
  auto a = fern::spawn([&] { first = std::string(c.command("PING").as_string()); });
  auto b = fern::spawn([&] {
    try {
      c.command("PING");
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code(), fern::Errc::protocol_error);
      second = e.what();
    }
  });
  fern::joinall({a, b});
  EXPECT_EQ(first, "OK");
  EXPECT_NE(second.find("malformed reply"), std::string::npos) << second;
  EXPECT_NE(second.find("1 reply pending"), std::string::npos) << second;
  EXPECT_NE(second.find("at byte"), std::string::npos) << second;
  // The next call reconnects.
  EXPECT_EQ(c.command("PING").as_string(), "PONG");
  EXPECT_EQ(server.accepted(), 2);
}

TEST(FailuresTest, ServerClosingMidReplyFailsEveryPendingCaller) {
  FakeServer server([](fern::net::Socket& s, int index) {
    std::string buffer;
    if (index > 0) {
      while (!FakeServer::read_command(s, buffer).empty()) s.send_all(":7\r\n");
      return;
    }
    for (int i = 0; i < 3; ++i) FakeServer::read_command(s, buffer);
    s.send_all("$5\r\nfirst\r\n$10\r\nsec");  // one whole reply, then half of the next
    s.close();
  });
  redis::Connection c(server.options());
  std::vector<std::string> results(3);
  std::vector<fern::GreenletRef<>> callers;
  for (int i = 0; i < 3; ++i) {
    callers.push_back(fern::spawn([&, i] {
      try {
        results[i] = std::string(c.command("GET", "k").as_string());
      } catch (const std::system_error& e) {
        results[i] = e.what();
      }
    }));
  }
  fern::joinall(callers);
  EXPECT_EQ(results[0], "first");
  for (int i = 1; i < 3; ++i) {
    EXPECT_NE(results[i].find("connection lost with 2 replies pending"), std::string::npos) << results[i];
    EXPECT_NE(results[i].find("in the middle of a reply"), std::string::npos) << results[i];
  }
  EXPECT_EQ(c.command("INCR", "k").as_integer(), 7);
}

TEST(FailuresTest, AReplyNobodyAskedForDropsTheConnection) {
  FakeServer server([](fern::net::Socket& s, int index) {
    std::string buffer;
    while (!FakeServer::read_command(s, buffer).empty()) {
      s.send_all(index == 0 ? "+OK\r\n+EXTRA\r\n" : "+FRESH\r\n");
    }
  });
  redis::Connection c(server.options());
  EXPECT_EQ(c.command("PING").as_string(), "OK");
  fern::sleep(20ms);  // the stray reply arrives while nothing is pending
  EXPECT_EQ(c.command("PING").as_string(), "FRESH");
  EXPECT_EQ(server.accepted(), 2);
}

TEST(FailuresTest, RefusedConnectFailsFastThenBacksOff) {
  const int port = fern_test::free_port();  // nothing listens here
  redis::Options o;
  o.port = static_cast<std::uint16_t>(port);
  o.reconnect_backoff = 200ms;
  redis::Client client(o);
  std::string first = error_of([&] { client.ping(); });
  EXPECT_NE(first.find("cannot connect"), std::string::npos) << first;
  EXPECT_NE(first.find(std::to_string(port)), std::string::npos) << first;
  // Each fact once: the address, and the kernel's reason at the end.
  const std::string refused = std::error_code(ECONNREFUSED, std::system_category()).message();
  EXPECT_EQ(first.find(refused), first.rfind(refused)) << first;
  EXPECT_EQ(first.find(std::to_string(port)), first.rfind(std::to_string(port))) << first;
  // The second attempt waits for the backoff first: a short timeout ends the wait.
  std::string second = error_of([&] { client.with_timeout(20ms).ping(); });
  EXPECT_NE(second.find("no reply within"), std::string::npos) << second;
}

TEST(FailuresTest, WrongPasswordIsAReplyErrorNamingTheHandshake) {
  fern_test::RedisServer server({"--requirepass", "sesame"});
  redis::Options o = fern_redis_test::tcp_options(server);
  o.password = "wrong";
  redis::Client client(o);
  try {
    client.ping();
    FAIL() << "authenticated with a wrong password";
  } catch (const redis::ReplyError& e) {
    EXPECT_EQ(e.prefix(), "WRONGPASS");
    EXPECT_NE(std::string(e.what()).find("handshake"), std::string::npos) << e.what();
  }
}

TEST(FailuresTest, ServerKilledAndRestartedUnderLoad) {
  fern_test::RedisServer server;
  redis::Options o = fern_redis_test::tcp_options(server);
  o.pool_size = 2;
  o.reconnect_backoff = 5ms;
  o.reconnect_backoff_max = 100ms;
  redis::Client client(o);
  client.ping();
  constexpr int kWorkers = 20;
  int errors = 0, without_outcome = 0, wrong = 0, ok_after_restart = 0;
  bool restarted = false, stop = false;
  std::string an_error;
  std::vector<fern::GreenletRef<>> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.push_back(fern::spawn([&, w] {
      // `stop` is set by the main greenlet while this one is parked in a call.
      for (int i = 0;; ++i) {
        if (stop) break;
        const std::string key = "w" + std::to_string(w);
        const std::string value = key + ":" + std::to_string(i);
        try {
          if (!client.set(key, value)) ++wrong;  // +OK, not another caller's reply
          // nil is fine: a SET answered by the old server just before it died is gone; another
          // caller's value or reply is not.
          std::optional<std::string> got = client.get(key);
          if (got && *got != value) ++wrong;
          if (restarted && got) ++ok_after_restart;
        } catch (const fern::OperationError& e) {
          ++errors;
          an_error = e.what();
          fern::sleep(1ms);
        } catch (const std::system_error& e) {
          ++without_outcome;
          an_error = e.what();
        }
      }
    }));
  }
  fern::sleep(100ms);
  server.restart();  // blocks the thread: every worker has a call in flight to the dead server
  restarted = true;
  for (int i = 0; i < 2000 && ok_after_restart < 200; ++i) fern::sleep(5ms);
  stop = true;
  fern::joinall(workers);
  // Calls sent to the dead server fail; those still in the client's buffer when it died go out on
  // the new connection instead, so there may be no error at all.
  EXPECT_EQ(without_outcome, 0) << an_error;
  if (errors > 0) {
    EXPECT_NE(an_error.find("redis 127.0.0.1:" + std::to_string(server.port())), std::string::npos)
        << an_error;
  }
  EXPECT_GE(ok_after_restart, 200);
  EXPECT_EQ(wrong, 0);
}

}  // namespace
