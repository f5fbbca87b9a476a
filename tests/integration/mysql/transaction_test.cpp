// mysql::Transaction against a real mariadbd: commit makes writes visible to others, an exception
// rolls back, a scope left without commit rolls back, a deadlock between two greenlets' transactions
// surfaces as ER_LOCK_DEADLOCK (1213, SQLSTATE 40001) in exactly one of them, a lock wait timeout as
// 1205, and a transaction may not nest.
#include "fern/clients/mysql/transaction.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "fern/base/error.hpp"
#include "fern/clients/mysql/connection.hpp"
#include "fern/clients/mysql/cursor.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/sync/event.hpp"
#include "mysql_test_support.hpp"

namespace mysql = fern::mysql;
using fern_mysql_test::shared_server;
using fern_mysql_test::tcp_options;

namespace {

class TransactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_.query("CREATE OR REPLACE TABLE acct (id INT PRIMARY KEY, balance BIGINT) ENGINE=InnoDB");
    conn_.query("INSERT INTO acct VALUES (1, 100), (2, 100)");
  }
  std::int64_t balance(mysql::Connection& c, int id) {
    return c.execute("SELECT balance FROM acct WHERE id = ?", id).scalar().as_int();
  }
  mysql::Connection conn_{tcp_options(shared_server())};
};

TEST_F(TransactionTest, CommitIsVisibleToOthers) {
  mysql::Connection other(tcp_options(shared_server()));
  {
    mysql::Transaction tx = conn_.transaction();
    EXPECT_TRUE(tx.active());
    EXPECT_TRUE(conn_.in_transaction());
    conn_.execute("UPDATE acct SET balance = balance - ? WHERE id = ?", 30, 1);
    EXPECT_EQ(balance(other, 1), 100);  // not yet
    tx.commit();
    EXPECT_FALSE(tx.active());
  }
  EXPECT_FALSE(conn_.in_transaction());
  EXPECT_EQ(balance(other, 1), 70);
}

TEST_F(TransactionTest, ExceptionRollsBack) {
  try {
    mysql::Transaction tx = conn_.transaction();
    conn_.execute("UPDATE acct SET balance = balance - ? WHERE id = ?", 50, 1);
    throw std::runtime_error("changed my mind");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(conn_.in_transaction());
  EXPECT_EQ(balance(conn_, 1), 100);
}

TEST_F(TransactionTest, ScopeWithoutCommitRollsBackAndExplicitRollback) {
  {
    mysql::Transaction tx = conn_.transaction();
    conn_.execute("DELETE FROM acct WHERE id = ?", 2);
  }
  EXPECT_EQ(conn_.query("SELECT COUNT(*) FROM acct").scalar().as_int(), 2);
  mysql::Transaction tx = conn_.transaction();
  conn_.execute("DELETE FROM acct WHERE id = ?", 2);
  tx.rollback();
  EXPECT_THROW(tx.commit(), std::system_error);  // already ended
  EXPECT_EQ(conn_.query("SELECT COUNT(*) FROM acct").scalar().as_int(), 2);
}

TEST_F(TransactionTest, TransactionsDoNotNest) {
  mysql::Transaction tx = conn_.transaction();
  try {
    (void)conn_.transaction();
    FAIL();
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), fern::Errc::invalid_argument);
  }
  EXPECT_TRUE(tx.active());
}

TEST_F(TransactionTest, CommitWhileACursorIsOpenIsRefusedAndTheTransactionStaysOpen) {
  mysql::Transaction tx = conn_.transaction();
  conn_.execute("UPDATE acct SET balance = ? WHERE id = ?", 1, 1);
  {
    mysql::Cursor cursor = conn_.query_stream("SELECT seq FROM seq_1_to_1000");
    mysql::Row row;
    ASSERT_TRUE(cursor.next(row));
    EXPECT_THROW(tx.commit(), std::system_error);
    EXPECT_TRUE(tx.active());
    EXPECT_EQ(cursor.collect().size(), 999u);  // read to the end: the connection is free again
  }
  tx.commit();
  EXPECT_EQ(balance(conn_, 1), 1);
}

TEST_F(TransactionTest, DeadlockSurfacesAsItsCodeInOneTransaction) {
  mysql::Connection a(tcp_options(shared_server()));
  mysql::Connection b(tcp_options(shared_server()));
  fern::Event a_locked, b_locked;
  int deadlocks = 0, commits = 0;
  std::string sqlstate;
  auto worker = [&](mysql::Connection& c, int first, int second, fern::Event& mine, fern::Event& theirs) {
    try {
      mysql::Transaction tx = c.transaction();
      c.execute("UPDATE acct SET balance = balance + 1 WHERE id = ?", first);
      mine.set();
      theirs.wait();
      c.execute("UPDATE acct SET balance = balance + 1 WHERE id = ?", second);
      tx.commit();
      ++commits;
    } catch (const mysql::Error& e) {
      if (e.server_code() == mysql::server_errc::deadlock) {
        ++deadlocks;
        sqlstate = e.sqlstate();
        EXPECT_EQ(e.outcome(), mysql::Outcome::not_applied);
      } else {
        ADD_FAILURE() << e.what();
      }
    }
  };
  auto ga = fern::spawn([&] { worker(a, 1, 2, a_locked, b_locked); });
  auto gb = fern::spawn([&] { worker(b, 2, 1, b_locked, a_locked); });
  fern::joinall({ga, gb});
  EXPECT_EQ(deadlocks, 1);
  EXPECT_EQ(commits, 1);
  EXPECT_EQ(sqlstate, "40001");
  // The victim's whole transaction was rolled back; the survivor's two updates stand.
  EXPECT_EQ(balance(conn_, 1) + balance(conn_, 2), 202);
}

TEST_F(TransactionTest, LockWaitTimeoutSurfacesAsItsCode) {
  mysql::Connection holder(tcp_options(shared_server()));
  mysql::Connection waiter(tcp_options(shared_server()));
  mysql::Transaction held = holder.transaction();
  holder.execute("UPDATE acct SET balance = 0 WHERE id = ?", 1);
  waiter.query("SET SESSION innodb_lock_wait_timeout = 1");
  try {
    mysql::Transaction tx = waiter.transaction();
    waiter.execute("UPDATE acct SET balance = 1 WHERE id = ?", 1);
    FAIL();
  } catch (const mysql::Error& e) {
    EXPECT_EQ(e.server_code(), mysql::server_errc::lock_wait_timeout);
    EXPECT_FALSE(e.connection_lost());
  }
  held.rollback();
  EXPECT_EQ(balance(waiter, 1), 100);
}

}  // namespace
