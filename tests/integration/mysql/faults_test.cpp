// The MariaDB client through a FaultProxy in front of a real mariadbd: a result stalled mid-packet
// ends in a timeout (Outcome::unknown), not a hang; a cut or reset mid-result fails the callers whose
// results it broke, with the connection marked lost, and never hands a caller another's row; clear()
// lets the next call reconnect; and an INSERT lost on the way is reported with an Outcome and never
// sent again: not_applied when the connection was found dead before a byte of it was written,
// unknown once the kernel took its bytes. A second connection straight to the server counts the
// rows really written.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fault_proxy.hpp"
#include "fault_test_helpers.hpp"
#include "fern/base/error.hpp"
#include "fern/clients/mysql/connection.hpp"
#include "fern/clients/mysql/error.hpp"
#include "fern/hub/spawn.hpp"
#include "mysql_test_support.hpp"

namespace mysql = fern::mysql;
using namespace std::chrono_literals;
using fern_mysql_test::shared_server;
using fern_mysql_test::tcp_options;
using fern_test::attempt;
using fern_test::bounded;
using fern_test::Direction;
using fern_test::FaultProxy;
using fern_test::key;
using fern_test::Result;

namespace {

// The client's bound on each wait for the server, which a stalled result must run into.
constexpr auto kReadTimeout = 1s;
constexpr int kCallers = 6;

bool connection_lost(const Result& r) {
  try {
    if (r.failure) std::rethrow_exception(r.failure);
  } catch (const mysql::Error& e) {
    return e.connection_lost();
  } catch (...) {
  }
  return false;
}

// Short values for even callers, long ones (3000 bytes) for odd callers; each names its caller.
std::string value_of(int i) {
  return i % 2 == 0 ? fern_test::padded("short-", i, 0, 'x') : fern_test::padded("long-", i, 3000, 'x');
}
std::string select_sql(int i) { return "SELECT v FROM fault_kv WHERE k = '" + key(i) + "'"; }

class MysqlFaultsTest : public ::testing::Test {
 protected:
  MysqlFaultsTest() {
    direct_.query("CREATE TABLE IF NOT EXISTS fault_kv (k VARCHAR(32) PRIMARY KEY, v TEXT)");
    direct_.query("CREATE TABLE IF NOT EXISTS fault_log (id INT AUTO_INCREMENT PRIMARY KEY, note TEXT)");
    direct_.query("DELETE FROM fault_kv");
    direct_.query("DELETE FROM fault_log");
    for (int i = 0; i < kCallers; ++i)
      direct_.execute("INSERT INTO fault_kv VALUES (?, ?)", key(i), value_of(i));
  }

  mysql::Options proxied_options() const {
    mysql::Options o = tcp_options(shared_server());
    o.port = proxy_.port();
    o.connect_timeout = 5s;
    o.read_timeout = o.write_timeout = kReadTimeout;
    o.cancel_timeout = kReadTimeout;
    return o;
  }

  // An INSERT into fault_log on `c`, bounded: the non-idempotent statement whose fate the tests follow.
  static Result insert_note(mysql::Connection& c) {
    Result r;
    bounded([&] {
      r = attempt([&] {
        return std::to_string(c.execute("INSERT INTO fault_log (note) VALUES (?)", "x").affected_rows);
      });
    });
    return r;
  }

  std::int64_t logged_rows() { return direct_.query("SELECT COUNT(*) FROM fault_log").scalar().as_int(); }

  // Bytes the server sends for select_sql(i), measured through the proxy.
  std::size_t result_size(mysql::Connection& c, int i) {
    const std::uint64_t before = proxy_.bytes_forwarded(Direction::downstream);
    EXPECT_EQ(c.query(select_sql(i)).scalar().as_string(), value_of(i));
    return proxy_.bytes_forwarded(Direction::downstream) - before;
  }

  // Every caller on its own connection queries its own row while `fault` is in force; the fault must
  // break the long results (odd callers) and spare the short ones.
  void check_only_long_results_break(const std::function<void(std::size_t)>& fault) {
    std::vector<std::unique_ptr<mysql::Connection>> connections;
    for (int i = 0; i < kCallers; ++i) {
      connections.push_back(std::make_unique<mysql::Connection>(proxied_options()));
      connections.back()->connect();
    }
    const std::size_t short_size = result_size(*connections[0], 0);
    const std::size_t long_size = result_size(*connections[1], 1);
    ASSERT_LT(short_size + 1000, long_size);
    fault((short_size + long_size) / 2);
    std::vector<Result> results(kCallers);
    std::vector<fern::GreenletRef<>> callers;
    for (int i = 0; i < kCallers; ++i) {
      callers.push_back(fern::spawn([&, i] {
        results[i] =
            attempt([&] { return std::string(connections[i]->query(select_sql(i)).scalar().as_string()); });
      }));
    }
    bounded([&] { fern::joinall(callers); });
    for (int i = 0; i < kCallers; ++i) {
      if (i % 2 == 0) {
        EXPECT_EQ(results[i].value, value_of(i)) << "caller " << i << ": " << results[i].what;
        continue;
      }
      ASSERT_TRUE(results[i].error) << "caller " << i << " got " << results[i].value->substr(0, 20);
      EXPECT_TRUE(connection_lost(results[i])) << results[i].what;
      EXPECT_EQ(results[i].outcome, mysql::Outcome::unknown) << results[i].what;
    }
    proxy_.clear();
    bounded([&] {
      for (int i = 0; i < kCallers; ++i) {
        EXPECT_EQ(connections[i]->query(select_sql(i)).scalar().as_string(), value_of(i)) << "caller " << i;
      }
    });
    for (int i = 1; i < kCallers; i += 2) EXPECT_EQ(connections[i]->stats().connects, 2u) << "caller " << i;
  }

  void check_insert_after_idle_end_is_not_applied(const std::function<void()>& end_connection);

  FaultProxy proxy_{"127.0.0.1", static_cast<std::uint16_t>(shared_server().port())};
  // Straight to the server, past the proxy: what the server really holds.
  mysql::Connection direct_{tcp_options(shared_server())};
};

TEST_F(MysqlFaultsTest, StallMidResultEndsInATimeoutWithOutcomeUnknown) {
  mysql::Connection c(proxied_options());
  c.connect();
  proxy_.stall_after(Direction::downstream, 10);
  Result r;
  bounded([&] { r = attempt([&] { return std::string(c.query(select_sql(1)).scalar().as_string()); }); });
  ASSERT_TRUE(r.error) << "got a value through a stalled proxy";
  EXPECT_EQ(r.error, fern::Errc::timed_out) << r.what;
  EXPECT_EQ(r.outcome, mysql::Outcome::unknown) << r.what;
  EXPECT_TRUE(connection_lost(r)) << r.what;
  EXPECT_FALSE(c.connected());
  proxy_.clear();
  bounded([&] { EXPECT_EQ(c.query(select_sql(1)).scalar().as_string(), value_of(1)); });
  EXPECT_EQ(c.stats().connects, 2u);
}

TEST_F(MysqlFaultsTest, CutMidResultFailsTheBrokenCallersOnlyAndNoRowGoesAstray) {
  check_only_long_results_break([&](std::size_t n) { proxy_.cut_after(Direction::downstream, n); });
}

TEST_F(MysqlFaultsTest, ResetMidResultFailsTheBrokenCallersOnlyAndNoRowGoesAstray) {
  check_only_long_results_break([&](std::size_t n) { proxy_.reset_after(Direction::downstream, n); });
}

TEST_F(MysqlFaultsTest, InsertWhosePrepareIsLostIsNotAppliedNorResent) {
  mysql::Connection c(proxied_options());
  c.connect();
  // The first execute of a statement prepares it first: losing the prepare's reply loses nothing.
  proxy_.cut_after(Direction::downstream, 0);
  Result r = insert_note(c);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.outcome, mysql::Outcome::not_applied) << r.what;
  EXPECT_TRUE(connection_lost(r)) << r.what;
  proxy_.clear();
  bounded([&] { c.ping(); });
  EXPECT_EQ(logged_rows(), 0);
}

TEST_F(MysqlFaultsTest, InsertCutAfterReachingTheServerIsUnknownAndNotResent) {
  mysql::Connection c(proxied_options());
  c.execute("INSERT INTO fault_log (note) VALUES (?)", "warm");  // prepared: the next is one packet
  proxy_.cut_after(Direction::downstream, 0);
  Result r = insert_note(c);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.outcome, mysql::Outcome::unknown) << r.what;
  EXPECT_TRUE(connection_lost(r)) << r.what;
  proxy_.clear();
  bounded([&] { c.ping(); });  // reconnects; a resend of the INSERT would go out with it
  EXPECT_EQ(logged_rows(), 2);
}

TEST_F(MysqlFaultsTest, InsertCutAfterLeavingTheClientIsUnknownButNotApplied) {
  mysql::Connection c(proxied_options());
  c.connect();
  c.execute("SELECT ?", 1);  // the INSERT below then is one packet, not a prepare and an execute
  c.execute("INSERT INTO fault_log (note) VALUES (?)", "warm");
  ASSERT_EQ(logged_rows(), 1);
  const std::uint64_t sent_before = proxy_.bytes_forwarded(Direction::upstream);
  proxy_.cut_after(Direction::upstream, 0);
  Result r = insert_note(c);
  ASSERT_TRUE(r.error);
  EXPECT_TRUE(connection_lost(r)) << r.what;
  EXPECT_EQ(proxy_.bytes_forwarded(Direction::upstream), sent_before);
  // The bytes left the client, so it cannot know they never arrived: unknown is the honest answer.
  EXPECT_EQ(r.outcome, mysql::Outcome::unknown) << r.what;
  proxy_.clear();
  bounded([&] { c.ping(); });
  EXPECT_EQ(logged_rows(), 1);
}

// The server's side of an idle connection ends (`end_connection`); the next INSERT finds the
// connection dead before writing a byte, fails as not applied, and is not sent again.
void MysqlFaultsTest::check_insert_after_idle_end_is_not_applied(
    const std::function<void()>& end_connection) {
  mysql::Connection c(proxied_options());
  c.execute("INSERT INTO fault_log (note) VALUES (?)", "warm");
  end_connection();
  proxy_.clear();
  Result r = insert_note(c);
  ASSERT_TRUE(r.error) << "the INSERT went through a dead connection";
  EXPECT_TRUE(connection_lost(r)) << r.what;
  EXPECT_EQ(r.error.value(), 2006) << r.what;  // CR_SERVER_GONE_ERROR
  EXPECT_EQ(r.outcome, mysql::Outcome::not_applied) << r.what;
  bounded([&] { c.ping(); });
  EXPECT_EQ(logged_rows(), 1);
  EXPECT_EQ(c.stats().connects, 2u);
}

TEST_F(MysqlFaultsTest, InsertOnAConnectionResetWhileIdleIsNotAppliedNorResent) {
  check_insert_after_idle_end_is_not_applied([&] { proxy_.reset_all(); });
}

TEST_F(MysqlFaultsTest, InsertOnAConnectionClosedWhileIdleIsNotAppliedNorResent) {
  check_insert_after_idle_end_is_not_applied([&] { proxy_.close_all(); });
}

}  // namespace
