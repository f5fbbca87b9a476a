// Failure paths against real servers: a statement cut off by a fern::Timeout or a kill while the
// server sleeps (the connection closes, the server is told to stop the statement, the next call
// reconnects and nothing is out of step), the read_timeout option, mariadbd killed mid-transaction
// (callers get errors, the transaction is not half-applied, a Connection refuses calls until its
// dead Transaction is gone, the pool recovers after the restart), and fake servers on a real socket
// that send a malformed handshake, close at once, or never answer.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "fern/base/error.hpp"
#include "fern/clients/mysql/connection.hpp"
#include "fern/clients/mysql/pool.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/timeout.hpp"
#include "fern/net/socket.hpp"
#include "mysql_test_support.hpp"

namespace mysql = fern::mysql;
using fern_mysql_test::shared_server;
using fern_mysql_test::tcp_options;
using namespace std::chrono_literals;

namespace {

constexpr int kPatience = 500;  // polls of 10 ms: a bound that only keeps a broken run from hanging

// Whether the server still runs a SLEEP statement on connection `id` (checked from another one).
bool sleeping_on(mysql::Connection& admin, std::uint64_t id) {
  return admin
             .execute(
                 "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ? AND INFO LIKE 'SELECT "
                 "SLEEP%'",
                 id)
             .scalar()
             .as_int() > 0;
}

bool wait_until_sleeping(mysql::Connection& admin, std::uint64_t id, bool want) {
  for (int i = 0; i < kPatience; ++i) {
    if (sleeping_on(admin, id) == want) return true;
    fern::sleep(10ms);
  }
  return false;
}

TEST(FailuresTest, TimeoutScopeCancelsASleepingQueryAndTheServerStopsIt) {
  mysql::Connection admin(tcp_options(shared_server()));
  for (bool prepared : {false, true}) {
    mysql::Connection c(tcp_options(shared_server()));
    c.connect();
    const std::uint64_t id = c.thread_id();
    {
      fern::Timeout t(200ms);
      try {
        if (prepared) {
          c.execute("SELECT SLEEP(?)", 5);
        } else {
          c.query("SELECT SLEEP(5)");
        }
        FAIL() << "SLEEP(5) outlived a 200 ms Timeout";
      } catch (const fern::TimeoutError& e) {
        EXPECT_TRUE(e.is(t));
      }
    }
    EXPECT_FALSE(c.connected());
    EXPECT_EQ(c.stats().cancels, 1u);
    EXPECT_TRUE(wait_until_sleeping(admin, id, false));  // KILL QUERY went to the server
    EXPECT_EQ(c.query("SELECT 'after'").scalar().as_string(), "after");
    EXPECT_EQ(c.execute("SELECT ?", 9).scalar().as_int(), 9);
    EXPECT_EQ(c.stats().connects, 2u);
  }
}

TEST(FailuresTest, ReadTimeoutOptionFailsWithOutcomeUnknown) {
  mysql::Options o = tcp_options(shared_server());
  o.read_timeout = 150ms;
  mysql::Connection c(o);
  try {
    c.query("SELECT SLEEP(5)");
    FAIL();
  } catch (const mysql::Error& e) {
    EXPECT_EQ(e.code(), fern::Errc::timed_out);
    EXPECT_EQ(e.outcome(), mysql::Outcome::unknown);
    EXPECT_TRUE(e.connection_lost());
  }
  EXPECT_EQ(c.query("SELECT 3").scalar().as_int(), 3);
}

TEST(FailuresTest, KilledGreenletMidQueryLeavesTheConnectionClosedNotDesynchronised) {
  mysql::Connection admin(tcp_options(shared_server()));
  mysql::Connection c(tcp_options(shared_server()));
  c.connect();
  const std::uint64_t id = c.thread_id();
  auto g = fern::spawn([&] { c.query("SELECT SLEEP(5)"); });
  ASSERT_TRUE(wait_until_sleeping(admin, id, true));
  g->kill();
  EXPECT_TRUE(g->killed());
  EXPECT_FALSE(c.connected());
  EXPECT_TRUE(wait_until_sleeping(admin, id, false));
  EXPECT_EQ(c.query("SELECT 'next'").scalar().as_string(), "next");
}

TEST(FailuresTest, ServerKilledMidTransaction) {
  fern_test::MariadbServer server;
  const mysql::Options o = tcp_options(server);
  mysql::Connection(o).query("CREATE TABLE ledger (id INT PRIMARY KEY, v INT) ENGINE=InnoDB");
  mysql::Pool pool(o, mysql::PoolOptions{.max_size = 4});
  mysql::Connection c(o);

  constexpr int kWorkers = 4;
  int worker_errors = 0;
  std::vector<fern::GreenletRef<>> workers;
  for (int w = 0; w < kWorkers; ++w)
    workers.push_back(fern::spawn([&, w] {
      for (int i = 0; i < 10000; ++i) {
        try {
          pool.with([&](mysql::Connection& pc) { pc.execute("SELECT SLEEP(0.005) + ?", w); });
        } catch (const mysql::Error&) {
          ++worker_errors;
          return;
        }
      }
    }));
  {
    mysql::Transaction tx = c.transaction();
    c.execute("INSERT INTO ledger VALUES (?, ?)", 1, 10);
    fern::sleep(20ms);  // let the workers get going; they fail whether or not they did
    server.kill();
    try {
      c.execute("INSERT INTO ledger VALUES (?, ?)", 2, 20);
      FAIL() << "a write to a killed server succeeded";
    } catch (const mysql::Error& e) {
      EXPECT_TRUE(e.connection_lost());
      // not_applied when the client finds the dead server's socket closed before writing (the
      // usual case), unknown when the write got in before the kernel closed it: both are true.
      if (e.outcome() == mysql::Outcome::not_applied) {
        EXPECT_NE(std::string(e.what()).find("found closed before the call was sent"), std::string::npos)
            << e.what();
      }
    }
    EXPECT_FALSE(tx.active());
    try {
      c.query("SELECT 1");  // would run outside the transaction on a new connection: refused
      FAIL();
    } catch (const mysql::Error& e) {
      EXPECT_EQ(e.code(), fern::Errc::closed);
      EXPECT_EQ(e.outcome(), mysql::Outcome::not_applied);
    }
    try {
      tx.commit();
      FAIL();
    } catch (const mysql::Error& e) {
      EXPECT_EQ(e.outcome(), mysql::Outcome::not_applied);  // the server rolled it back
    }
  }
  fern::joinall(workers);
  EXPECT_EQ(worker_errors, kWorkers);

  server.start();
  EXPECT_EQ(c.query("SELECT COUNT(*) FROM ledger").scalar().as_int(), 0);  // nothing half-applied
  std::vector<fern::GreenletRef<>> after;
  int ok = 0;
  for (int w = 0; w < kWorkers; ++w)
    after.push_back(fern::spawn([&] {
      pool.with([&](mysql::Connection& pc) { ok += pc.query("SELECT 1").scalar().as_int() == 1; });
    }));
  fern::joinall(after);
  EXPECT_EQ(ok, kWorkers);
  EXPECT_EQ(pool.in_use(), 0u);
}

// A server on a real socket that runs `script` for each accepted connection.
class FakeServer {
 public:
  explicit FakeServer(std::function<void(fern::net::Socket&)> script) {
    listener_ = fern::net::listen_tcp(fern::net::Address::ipv4_loopback(0));
    port_ = listener_.local_address().port();
    acceptor_ = fern::spawn([this, script = std::move(script)] {
      std::error_code ec;
      fern::net::Socket peer = listener_.accept(nullptr, ec);
      if (!ec) script(peer);
    });
  }
  ~FakeServer() {
    listener_.close();
    acceptor_->kill();
  }
  mysql::Options options() const {
    mysql::Options o;
    o.port = port_;
    o.connect_timeout = 5s;
    return o;
  }

 private:
  fern::net::Socket listener_;
  std::uint16_t port_ = 0;
  fern::GreenletRef<> acceptor_;
};

TEST(FailuresTest, MalformedHandshakeIsAClientErrorNotAHang) {
  FakeServer fake([](fern::net::Socket& peer) {
    peer.send_all(std::string("\x07\x00\x00\x00garbage", 11));
    char buf[64];
    std::error_code ec;
    peer.recv(buf, sizeof buf, ec);  // hold the connection open until the client gives up
  });
  mysql::Connection c(fake.options());
  try {
    c.connect();
    FAIL();
  } catch (const mysql::Error& e) {
    EXPECT_EQ(e.code().category(), mysql::client_category()) << e.what();
    EXPECT_EQ(e.outcome(), mysql::Outcome::not_applied);
  }
  EXPECT_FALSE(c.connected());
}

TEST(FailuresTest, ServerClosingAtOnceIsALostConnection) {
  FakeServer fake([](fern::net::Socket& peer) { peer.close(); });
  mysql::Connection c(fake.options());
  try {
    c.query("SELECT 1");
    FAIL();
  } catch (const mysql::Error& e) {
    EXPECT_EQ(e.code().category(), mysql::client_category()) << e.what();
    EXPECT_EQ(e.outcome(), mysql::Outcome::not_applied);  // never sent: the connect failed
  }
}

TEST(FailuresTest, SilentServerHitsTheConnectTimeout) {
  FakeServer fake([](fern::net::Socket& peer) {
    char buf[64];
    std::error_code ec;
    peer.recv(buf, sizeof buf, ec);
  });
  mysql::Options o = fake.options();
  o.connect_timeout = 100ms;
  mysql::Connection c(o);
  try {
    c.connect();
    FAIL();
  } catch (const mysql::Error& e) {
    EXPECT_EQ(e.code(), fern::Errc::timed_out);
    EXPECT_EQ(e.outcome(), mysql::Outcome::not_applied);
  }
}

}  // namespace
