// mysql::Connection against a real mariadbd: round trips over TCP and the Unix socket, prepared
// statements cached per connection, affected rows and insert ids, server errors told apart by code
// and SQLSTATE (bad SQL, duplicate key, unknown table), authentication (mysql_native_password,
// ed25519, a wrong password), ping, reset, and a second caller refused while a call is in flight.
#include "fern/clients/mysql/connection.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "fern/base/error.hpp"
#include "fern/hub/spawn.hpp"
#include "mysql_test_support.hpp"

namespace mysql = fern::mysql;
using fern_mysql_test::shared_server;
using fern_mysql_test::tcp_options;

namespace {

TEST(ConnectionTest, RoundTripOverTcp) {
  mysql::Connection c(tcp_options(shared_server()));
  EXPECT_FALSE(c.connected());
  mysql::Result r = c.query("SELECT 1 + 1 AS two, 'text' AS word");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].get<int>("two"), 2);
  EXPECT_EQ(r[0].get<std::string>(1), "text");
  EXPECT_EQ(r.columns->size(), 2u);
  EXPECT_EQ((*r.columns)[0].name, "two");
  EXPECT_TRUE(c.connected());
  EXPECT_NE(c.thread_id(), 0u);
  EXPECT_EQ(c.stats().connects, 1u);
}

TEST(ConnectionTest, RoundTripOverUnixSocket) {
  mysql::Connection c(fern_mysql_test::unix_options(shared_server()));
  EXPECT_EQ(c.query("SELECT @@character_set_client").scalar().as_string(), "utf8mb4");
  EXPECT_EQ(c.execute("SELECT ? * 2", 21).scalar().as_int(), 42);
}

TEST(ConnectionTest, ExecuteCachesPreparedStatementsPerConnection) {
  mysql::Connection c(tcp_options(shared_server()));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(c.execute("SELECT ? + 1", i).scalar().as_int(), i + 1);
  EXPECT_EQ(c.stats().prepares, 1u);
  EXPECT_EQ(c.execute("SELECT ?", "other").scalar().as_string(), "other");
  EXPECT_EQ(c.stats().prepares, 2u);
}

TEST(ConnectionTest, ValuesAreNeverSplicedIntoSql) {
  mysql::Connection c(tcp_options(shared_server()));
  c.query("CREATE OR REPLACE TABLE splice (s TEXT)");
  const std::string hostile = "x'); DROP TABLE splice; --";
  c.execute("INSERT INTO splice VALUES (?)", hostile);
  EXPECT_EQ(c.query("SELECT s FROM splice").scalar().as_string(), hostile);
}

TEST(ConnectionTest, AffectedRowsAndInsertId) {
  mysql::Connection c(tcp_options(shared_server()));
  c.query("CREATE OR REPLACE TABLE ids (id INT AUTO_INCREMENT PRIMARY KEY, v INT)");
  mysql::Result a = c.execute("INSERT INTO ids (v) VALUES (?)", 10);
  EXPECT_EQ(a.affected_rows, 1u);
  EXPECT_EQ(a.insert_id, 1u);
  mysql::Result b = c.query("INSERT INTO ids (v) VALUES (20), (30)");
  EXPECT_EQ(b.affected_rows, 2u);
  EXPECT_EQ(b.insert_id, 2u);  // the first id of a multi-row insert
  EXPECT_EQ(c.execute("UPDATE ids SET v = v + 1 WHERE v >= ?", 20).affected_rows, 2u);
  EXPECT_EQ(c.execute("DELETE FROM ids WHERE id = ?", 99).affected_rows, 0u);
}

TEST(ConnectionTest, BadSqlCarriesCodeAndSqlstateAndKeepsTheConnection) {
  mysql::Connection c(tcp_options(shared_server()));
  c.connect();
  const auto thread = c.thread_id();
  try {
    c.query("SELEKT 1");
    FAIL() << "bad SQL accepted";
  } catch (const mysql::Error& e) {
    EXPECT_EQ(e.server_code(), mysql::server_errc::parse_error);
    EXPECT_EQ(e.sqlstate(), "42000");
    EXPECT_EQ(e.outcome(), mysql::Outcome::not_applied);
    EXPECT_FALSE(e.connection_lost());
  }
  try {
    c.execute("SELECT * FROM no_such_table WHERE x = ?", 1);
    FAIL() << "unknown table accepted";
  } catch (const mysql::Error& e) {
    EXPECT_EQ(e.server_code(), mysql::server_errc::no_such_table);
    EXPECT_EQ(e.sqlstate(), "42S02");
  }
  EXPECT_EQ(c.query("SELECT 7").scalar().as_int(), 7);
  EXPECT_EQ(c.thread_id(), thread);
  EXPECT_EQ(c.stats().connects, 1u);
}

TEST(ConnectionTest, DuplicateKeyIsToldApartByCode) {
  mysql::Connection c(tcp_options(shared_server()));
  c.query("CREATE OR REPLACE TABLE uniq (k INT PRIMARY KEY)");
  c.execute("INSERT INTO uniq VALUES (?)", 1);
  try {
    c.execute("INSERT INTO uniq VALUES (?)", 1);
    FAIL() << "duplicate accepted";
  } catch (const mysql::Error& e) {
    EXPECT_EQ(e.server_code(), mysql::server_errc::duplicate_key);
    EXPECT_EQ(e.sqlstate(), "23000");
    EXPECT_EQ(e.outcome(), mysql::Outcome::not_applied);
  }
  EXPECT_EQ(c.query("SELECT COUNT(*) FROM uniq").scalar().as_int(), 1);
}

TEST(ConnectionTest, WrongParameterCountIsRefusedBeforeSending) {
  mysql::Connection c(tcp_options(shared_server()));
  try {
    c.execute("SELECT ? + ?", 1);
    FAIL();
  } catch (const mysql::Error& e) {
    EXPECT_EQ(e.code(), fern::Errc::invalid_argument);
    EXPECT_EQ(e.outcome(), mysql::Outcome::not_applied);
  }
  EXPECT_EQ(c.execute("SELECT ? + ?", 1, 2).scalar().as_int(), 3);
}

TEST(ConnectionTest, NativePasswordUserAndWrongPassword) {
  mysql::Connection root(tcp_options(shared_server()));
  root.query(
      "CREATE OR REPLACE USER 'native'@'127.0.0.1' IDENTIFIED VIA mysql_native_password USING "
      "PASSWORD('s3cret')");
  root.query("GRANT ALL ON fern_test.* TO 'native'@'127.0.0.1'");
  EXPECT_EQ(root.query("SELECT plugin FROM mysql.user WHERE user='native'").scalar().as_string(),
            "mysql_native_password");
  mysql::Options o = tcp_options(shared_server());
  o.user = "native";
  o.password = "s3cret";
  mysql::Connection good(o);
  EXPECT_EQ(good.query("SELECT CURRENT_USER()").scalar().as_string(), "native@127.0.0.1");

  o.password = "wrong";
  mysql::Connection bad(o);
  try {
    bad.connect();
    FAIL() << "wrong password accepted";
  } catch (const mysql::Error& e) {
    EXPECT_EQ(e.server_code(), mysql::server_errc::access_denied);
    EXPECT_EQ(e.sqlstate(), "28000");
    EXPECT_EQ(e.outcome(), mysql::Outcome::not_applied);
  } catch (const std::system_error& e) {
    FAIL() << e.what();
  }
  EXPECT_FALSE(bad.connected());
}

TEST(ConnectionTest, Ed25519User) {
  if (!std::filesystem::exists("/usr/lib/mysql/plugin/auth_ed25519.so"))
    GTEST_SKIP() << "no auth_ed25519 plugin";
  mysql::Connection root(tcp_options(shared_server()));
  root.query("INSTALL SONAME 'auth_ed25519'");
  root.query("CREATE OR REPLACE USER 'edu'@'127.0.0.1' IDENTIFIED VIA ed25519 USING PASSWORD('edpass')");
  EXPECT_EQ(root.query("SELECT plugin FROM mysql.user WHERE user='edu'").scalar().as_string(), "ed25519");
  mysql::Options o = tcp_options(shared_server());
  o.user = "edu";
  o.password = "edpass";
  o.database.clear();
  mysql::Connection c(o);
  EXPECT_EQ(c.query("SELECT CURRENT_USER()").scalar().as_string(), "edu@127.0.0.1");
  o.password = "nope";
  mysql::Connection bad(o);
  try {
    bad.connect();
    FAIL();
  } catch (const mysql::Error& e) {
    EXPECT_EQ(e.server_code(), mysql::server_errc::access_denied);
  }
}

TEST(ConnectionTest, UnknownDatabase) {
  mysql::Options o = tcp_options(shared_server());
  o.database = "no_such_db";
  mysql::Connection c(o);
  try {
    c.query("SELECT 1");
    FAIL();
  } catch (const mysql::Error& e) {
    EXPECT_EQ(e.server_code(), mysql::server_errc::bad_database);
    EXPECT_EQ(e.outcome(), mysql::Outcome::not_applied);
  }
}

TEST(ConnectionTest, RefusedPortIsANotAppliedConnectError) {
  mysql::Options o = tcp_options(shared_server());
  o.port = static_cast<std::uint16_t>(fern_test::free_port());
  mysql::Connection c(o);
  try {
    c.query("SELECT 1");
    FAIL();
  } catch (const mysql::Error& e) {
    EXPECT_EQ(e.code().category(), mysql::client_category());
    EXPECT_EQ(e.outcome(), mysql::Outcome::not_applied);
  }
}

TEST(ConnectionTest, HostNameIsResolvedByFern) {
  mysql::Options o = tcp_options(shared_server());
  o.host = "localhost";
  mysql::Connection c(o);
  EXPECT_EQ(c.query("SELECT 5").scalar().as_int(), 5);
}

TEST(ConnectionTest, PingAndReset) {
  mysql::Connection c(tcp_options(shared_server()));
  c.ping();
  c.query("SET @marker = 42");
  c.execute("SELECT ?", 1);
  EXPECT_EQ(c.query("SELECT @marker").scalar().as_int(), 42);
  c.reset();
  EXPECT_TRUE(c.query("SELECT @marker").scalar().is_null());
  EXPECT_EQ(c.execute("SELECT ?", 2).scalar().as_int(), 2);  // re-prepared after the reset
  EXPECT_EQ(c.stats().prepares, 2u);
  EXPECT_EQ(c.stats().connects, 1u);
}

TEST(ConnectionTest, SecondCallerWhileACallIsInFlightIsRefused) {
  mysql::Connection c(tcp_options(shared_server()));
  c.connect();
  int refused = 0;
  auto sleeper = fern::spawn([&] { c.query("SELECT SLEEP(0.2)"); });
  auto intruder = fern::spawn([&] {
    try {
      c.query("SELECT 1");
    } catch (const std::system_error& e) {
      if (e.code() == fern::Errc::invalid_argument) ++refused;
    }
  });
  fern::joinall({sleeper, intruder});
  EXPECT_TRUE(sleeper->successful());
  EXPECT_EQ(refused, 1);
  EXPECT_EQ(c.query("SELECT 1").scalar().as_int(), 1);
}

TEST(ConnectionTest, ManyGreenletsEachWithAConnectionInterleave) {
  constexpr int kGreenlets = 20;
  std::vector<fern::GreenletRef<>> workers;
  std::vector<std::uint64_t> seen(kGreenlets);
  for (int i = 0; i < kGreenlets; ++i)
    workers.push_back(fern::spawn([&, i] {
      mysql::Connection c(tcp_options(shared_server()));
      // Each sleeps on the server; one thread runs them all, so they must overlap to finish.
      seen[i] = c.execute("SELECT ? + SLEEP(0.1)", i).scalar().as_uint();
    }));
  fern::joinall(workers);
  for (int i = 0; i < kGreenlets; ++i) EXPECT_EQ(seen[i], static_cast<std::uint64_t>(i));
}

}  // namespace
