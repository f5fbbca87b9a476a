// TaskPool and TaskConnection against a real mariadbd: statements from aio tasks over a pool that
// greenlets use at the same time, a transaction in one with() call, an error reaching the task,
// and a statement cut short by a timeout scope leaving the pool usable.
#include "fern/clients/mysql/task_pool.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "fern/aio/gather.hpp"
#include "fern/aio/spawn.hpp"
#include "fern/aio/task.hpp"
#include "fern/aio/timeout.hpp"
#include "fern/clients/mysql/error.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/timeout.hpp"
#include "mysql_test_support.hpp"

namespace mysql = fern::mysql;
namespace aio = fern::aio;
using fern_mysql_test::shared_server;
using fern_mysql_test::tcp_options;
using namespace std::chrono_literals;

namespace {

aio::Task<std::int64_t> select_value(mysql::TaskPool db, int n) {
  mysql::Result r = co_await db.execute("SELECT ? + 1", n);
  co_return r.scalar().as_int();
}

aio::Task<std::int64_t> three_at_once(mysql::TaskPool db) {
  auto [a, b, c] = co_await aio::gather(select_value(db, 1), select_value(db, 2), select_value(db, 3));
  co_return a * 100 + b * 10 + c;
}

TEST(MysqlTaskPool, StatementsFromTasks) {
  mysql::Pool pool(tcp_options(shared_server()), mysql::PoolOptions{.max_size = 2});
  EXPECT_EQ(aio::run(three_at_once(mysql::TaskPool(pool))), 234);
}

aio::Task<void> insert_rows(mysql::TaskPool db, int from, int count) {
  for (int i = from; i < from + count; ++i) co_await db.execute("INSERT INTO task_rows VALUES (?)", i);
}

// Tasks and greenlets share one Pool; every row arrives once.
TEST(MysqlTaskPool, TasksAndGreenletsShareOnePool) {
  mysql::Pool pool(tcp_options(shared_server()), mysql::PoolOptions{.max_size = 4});
  pool.with([](mysql::Connection& c) { c.query("CREATE OR REPLACE TABLE task_rows (n INT PRIMARY KEY)"); });
  std::vector<aio::TaskHandle<void>> tasks;
  std::vector<fern::GreenletRef<>> greenlets;
  for (int i = 0; i < 4; ++i) {
    tasks.push_back(aio::spawn(insert_rows(mysql::TaskPool(pool), i * 10, 10)));
    greenlets.push_back(fern::spawn([&pool, i] {
      for (int n = 100 + i * 10; n < 110 + i * 10; ++n) {
        pool.with([n](mysql::Connection& c) { c.execute("INSERT INTO task_rows VALUES (?)", n); });
      }
    }));
  }
  for (auto& t : tasks) t.get();
  fern::joinall(greenlets);
  auto count = pool.with(
      [](mysql::Connection& c) { return c.query("SELECT COUNT(*) FROM task_rows").scalar().as_int(); });
  EXPECT_EQ(count, 80);
}

// A transaction spans several statements on one connection: one with() call.
aio::Task<std::int64_t> transfer(mysql::TaskPool db) {
  co_await db.with([](mysql::Connection& c) {
    c.query("CREATE OR REPLACE TABLE task_accounts (id INT PRIMARY KEY, balance INT)");
    c.query("INSERT INTO task_accounts VALUES (1, 100), (2, 0)");
    auto tx = c.transaction();
    c.execute("UPDATE task_accounts SET balance = balance - ? WHERE id = 1", 30);
    c.execute("UPDATE task_accounts SET balance = balance + ? WHERE id = 2", 30);
    tx.commit();
  });
  mysql::Result r = co_await db.query("SELECT balance FROM task_accounts WHERE id = 2");
  co_return r.scalar().as_int();
}

TEST(MysqlTaskPool, ATransactionInOneWithCall) {
  mysql::Pool pool(tcp_options(shared_server()));
  EXPECT_EQ(aio::run(transfer(mysql::TaskPool(pool))), 30);
}

aio::Task<std::string> bad_sql(mysql::TaskPool db) {
  try {
    co_await db.query("SELEC nonsense");
  } catch (const mysql::Error& e) {
    co_return std::string(e.what());
  }
  co_return "no error";
}

TEST(MysqlTaskPool, AnErrorReachesTheTask) {
  mysql::Pool pool(tcp_options(shared_server()));
  EXPECT_NE(aio::run(bad_sql(mysql::TaskPool(pool))).find("SQL syntax"), std::string::npos);
}

// A timeout scope ends a long statement; the pool serves the next call.
aio::Task<std::int64_t> slow_then_fast(mysql::TaskPool db) {
  try {
    auto scope = co_await aio::timeout(50ms);
    co_await db.query("SELECT SLEEP(5)");
  } catch (const fern::TimeoutError&) {
  }
  mysql::Result r = co_await db.query("SELECT 41 + 1");
  co_return r.scalar().as_int();
}

TEST(MysqlTaskPool, ATimedOutStatementLeavesThePoolUsable) {
  mysql::Pool pool(tcp_options(shared_server()));
  EXPECT_EQ(aio::run(slow_then_fast(mysql::TaskPool(pool))), 42);
}

aio::Task<std::int64_t> on_one_connection(mysql::TaskConnection conn) {
  co_await conn.query("SET @fern_task = 5");
  mysql::Result r = co_await conn.query("SELECT @fern_task * 2");
  co_return r.scalar().as_int();
}

TEST(MysqlTaskConnection, SessionStateStaysOnTheConnection) {
  mysql::Connection conn(tcp_options(shared_server()));
  conn.connect();
  EXPECT_EQ(aio::run(on_one_connection(mysql::TaskConnection(conn))), 10);
}

}  // namespace
