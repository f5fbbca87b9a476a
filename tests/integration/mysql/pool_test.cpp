// mysql::Pool against a real mariadbd: 200 greenlets over a pool of 16 (never more than 16
// connections, every greenlet's own answer), connections handed back clean (an open transaction
// rolled back, session state reset), the acquire timeout, a dead idle connection dropped on borrow,
// max lifetime, and use from aio tasks through in_greenlet.
#include "fern/clients/mysql/pool.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "fern/aio/gather.hpp"
#include "fern/aio/in_greenlet.hpp"
#include "fern/aio/task.hpp"
#include "fern/base/error.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/sync/event.hpp"
#include "mysql_test_support.hpp"

namespace mysql = fern::mysql;
using fern_mysql_test::shared_server;
using fern_mysql_test::tcp_options;
using namespace std::chrono_literals;

namespace {

TEST(PoolTest, TwoHundredGreenletsOverSixteenConnections) {
  mysql::Pool pool(tcp_options(shared_server()), mysql::PoolOptions{.max_size = 16});
  pool.with([](mysql::Connection& c) {
    c.query("CREATE OR REPLACE TABLE pool_log (g INT PRIMARY KEY, conn BIGINT UNSIGNED)");
  });
  constexpr int kGreenlets = 200;
  std::vector<fern::GreenletRef<>> workers;
  std::vector<std::int64_t> answers(kGreenlets, -1);
  std::size_t peak_in_use = 0;
  // Each caller holds its lease until the pool is full, so that it fills however slowly the server
  // accepts connections (callers that finish early would otherwise lend theirs on first).
  fern::Event filled;
  for (int i = 0; i < kGreenlets; ++i)
    workers.push_back(fern::spawn([&, i] {
      mysql::Pool::Lease c = pool.acquire();
      peak_in_use = std::max(peak_in_use, pool.in_use());
      if (pool.in_use() == 16) filled.set();
      ASSERT_TRUE(filled.wait(30s)) << "the pool never lent all 16 connections at once";
      c->execute("INSERT INTO pool_log VALUES (?, CONNECTION_ID())", i);
      answers[i] =
          c->execute("SELECT g FROM pool_log WHERE g = ? AND conn = CONNECTION_ID()", i).scalar().as_int();
    }));
  fern::joinall(workers);
  for (int i = 0; i < kGreenlets; ++i) EXPECT_EQ(answers[i], i);
  EXPECT_LE(peak_in_use, 16u);
  EXPECT_EQ(peak_in_use, 16u);  // 200 callers in one thread do fill the pool
  EXPECT_LE(pool.stats().created, 16u);
  EXPECT_EQ(pool.in_use(), 0u);
  auto distinct = pool.with([](mysql::Connection& c) {
    return c.query("SELECT COUNT(DISTINCT conn) FROM pool_log").scalar().as_int();
  });
  EXPECT_LE(distinct, 16);
}

TEST(PoolTest, ConnectionsComeBackClean) {
  mysql::Pool pool(tcp_options(shared_server()), mysql::PoolOptions{.max_size = 1});
  pool.with(
      [](mysql::Connection& c) { c.query("CREATE OR REPLACE TABLE pool_clean (v INT) ENGINE=InnoDB"); });
  std::uint64_t first_thread = 0;
  {
    mysql::Pool::Lease c = pool.acquire();
    first_thread = c->thread_id();
    c->query("SET @left_behind = 1");
    c->query("CREATE TEMPORARY TABLE scratch (x INT)");
    c->query("BEGIN");  // raw BEGIN, no Transaction object
    c->execute("INSERT INTO pool_clean VALUES (?)", 1);
    EXPECT_TRUE(c->in_transaction());
  }
  mysql::Pool::Lease c = pool.acquire();
  EXPECT_EQ(c->thread_id(), first_thread);  // the same connection, reused
  EXPECT_FALSE(c->in_transaction());
  EXPECT_TRUE(c->query("SELECT @left_behind").scalar().is_null());
  EXPECT_THROW(c->query("SELECT * FROM scratch"), mysql::Error);
  EXPECT_EQ(c->query("SELECT COUNT(*) FROM pool_clean").scalar().as_int(), 0);
  EXPECT_GE(pool.stats().resets, 1u);
}

TEST(PoolTest, AcquireTimesOutWhenAllAreLent) {
  mysql::Pool pool(tcp_options(shared_server()), mysql::PoolOptions{.max_size = 1, .acquire_timeout = 50ms});
  mysql::Pool::Lease held = pool.acquire();
  try {
    pool.acquire();
    FAIL();
  } catch (const mysql::Error& e) {
    EXPECT_EQ(e.code(), fern::Errc::timed_out);
    EXPECT_EQ(e.outcome(), mysql::Outcome::not_applied);
  }
  EXPECT_EQ(pool.in_use(), 1u);
}

TEST(PoolTest, DeadIdleConnectionIsDroppedOnBorrow) {
  mysql::Pool pool(tcp_options(shared_server()),
                   mysql::PoolOptions{.max_size = 2, .check_idle_after = 0ms, .reset_session = false});
  std::uint64_t victim = 0;
  {
    mysql::Pool::Lease c = pool.acquire();
    victim = c->thread_id();
  }
  mysql::Connection admin(tcp_options(shared_server()));
  admin.query("KILL CONNECTION " + std::to_string(victim));  // a number the server gave
  mysql::Pool::Lease c = pool.acquire();
  EXPECT_NE(c->thread_id(), victim);
  EXPECT_EQ(c->query("SELECT 1").scalar().as_int(), 1);
  EXPECT_EQ(pool.stats().dropped, 1u);
  EXPECT_EQ(pool.stats().created, 2u);
  EXPECT_GE(pool.stats().health_checks, 1u);
}

TEST(PoolTest, ConnectionsOlderThanMaxLifetimeAreReplaced) {
  mysql::Pool pool(tcp_options(shared_server()), mysql::PoolOptions{.max_size = 1, .max_lifetime = 0ms});
  std::uint64_t first = pool.with([](mysql::Connection& c) { return c.thread_id(); });
  std::uint64_t second = pool.with([](mysql::Connection& c) { return c.thread_id(); });
  EXPECT_NE(first, second);
  EXPECT_EQ(pool.stats().created, 2u);
}

fern::aio::Task<std::int64_t> task_query(mysql::Pool& pool, int n) {
  co_return co_await fern::aio::in_greenlet([&pool, n] {
    return pool.with([n](mysql::Connection& c) { return c.execute("SELECT ?", n).scalar().as_int(); });
  });
}

fern::aio::Task<std::int64_t> many_tasks(mysql::Pool& pool) {
  auto [a, b, c] = co_await fern::aio::gather(task_query(pool, 1), task_query(pool, 2), task_query(pool, 3));
  co_return a * 100 + b * 10 + c;
}

TEST(PoolTest, UsableFromAioTasks) {
  mysql::Pool pool(tcp_options(shared_server()), mysql::PoolOptions{.max_size = 2});
  EXPECT_EQ(fern::aio::run(many_tasks(pool)), 123);
}

}  // namespace
