// Streaming and multi-results: a million-row SELECT read through a Cursor in both protocols with
// the process's resident memory bounded; multi-statement queries and a procedure's several
// results; a later statement's error surfacing after the earlier results; a Cursor abandoned
// before its end closing the connection (the next call reconnects, never reads stale rows); and
// executemany.
#include "fern/clients/mysql/cursor.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

#include "fern/base/error.hpp"
#include "fern/clients/mysql/connection.hpp"
#include "mysql_test_support.hpp"

namespace mysql = fern::mysql;
using fern_mysql_test::shared_server;
using fern_mysql_test::tcp_options;

namespace {

constexpr std::uint64_t kMillion = 1000000;
// A million rows of (integer, 15-byte string) held in memory take well over 100 MB as Values; the
// streamed read must stay far below that.
constexpr std::size_t kRssBound = 48u << 20;

void stream_million(mysql::Cursor cursor) {
  const std::size_t before = fern_mysql_test::resident_bytes();
  mysql::Row row;
  std::uint64_t count = 0, sum = 0;
  std::size_t peak = before;
  while (cursor.next(row)) {
    ++count;
    sum += row[0].as_uint();
    ASSERT_EQ(row[1].as_string().size(), 15u);
    if (count % 100000 == 0) peak = std::max(peak, fern_mysql_test::resident_bytes());
  }
  EXPECT_TRUE(cursor.finished());
  EXPECT_EQ(count, kMillion);
  EXPECT_EQ(sum, kMillion * (kMillion + 1) / 2);
  EXPECT_LT(peak - before, kRssBound) << "resident memory grew by " << (peak - before) / 1024 << " KiB";
}

TEST(CursorTest, MillionRowsTextProtocolInFlatMemory) {
  mysql::Connection c(tcp_options(shared_server()));
  stream_million(c.query_stream("SELECT seq, 'fifteen-chars!!' FROM seq_1_to_1000000"));
  EXPECT_EQ(c.query("SELECT 1").scalar().as_int(), 1);  // in step afterwards
  EXPECT_EQ(c.stats().connects, 1u);
}

TEST(CursorTest, MillionRowsBinaryProtocolInFlatMemory) {
  mysql::Connection c(tcp_options(shared_server()));
  stream_million(c.stream("SELECT seq, 'fifteen-chars!!' FROM seq_1_to_1000000 WHERE seq >= ?", 1));
  EXPECT_EQ(c.execute("SELECT ?", 2).scalar().as_int(), 2);
  EXPECT_EQ(c.stats().connects, 1u);
}

TEST(CursorTest, MultiStatementQueryReturnsEveryResult) {
  mysql::Connection c(tcp_options(shared_server()));
  std::vector<mysql::Result> results = c.query_multi(
      "CREATE OR REPLACE TABLE multi (v INT); INSERT INTO multi VALUES (1), (2), (3); "
      "SELECT v FROM multi ORDER BY v; SELECT COUNT(*) AS n FROM multi");
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[1].affected_rows, 3u);
  ASSERT_EQ(results[2].size(), 3u);
  EXPECT_EQ(results[2][2].get<int>("v"), 3);
  EXPECT_EQ(results[3].scalar().as_int(), 3);
  EXPECT_EQ(c.query("SELECT 1; SELECT 2").scalar().as_int(), 1);  // query(): the first result
}

TEST(CursorTest, LaterStatementErrorSurfacesAfterEarlierResults) {
  mysql::Connection c(tcp_options(shared_server()));
  mysql::Cursor cursor = c.query_stream("SELECT 1; SELECT * FROM no_such_table; SELECT 3");
  EXPECT_EQ(cursor.collect().scalar().as_int(), 1);
  try {
    cursor.next_result();
    FAIL() << "error of the second statement lost";
  } catch (const mysql::Error& e) {
    EXPECT_EQ(e.server_code(), mysql::server_errc::no_such_table);
  }
  EXPECT_TRUE(cursor.finished());  // the server stops at the failing statement
  mysql::Cursor moved = std::move(cursor);
  (void)moved;
}

TEST(CursorTest, ProcedureResultsThroughBothProtocols) {
  mysql::Connection c(tcp_options(shared_server()));
  c.query(
      "CREATE OR REPLACE PROCEDURE two_sets(IN n INT) BEGIN SELECT n AS a; SELECT n * 2 AS b, 'x' AS c; END");
  std::vector<mysql::Result> text = c.query_multi("CALL two_sets(5)");
  ASSERT_GE(text.size(), 2u);  // the two SELECTs, then CALL's status
  EXPECT_EQ(text[0].scalar().as_int(), 5);
  EXPECT_EQ(text[1][0].get<int>("b"), 10);

  mysql::Cursor cursor = c.stream("CALL two_sets(?)", 7);
  EXPECT_EQ(cursor.collect().scalar().as_int(), 7);
  ASSERT_TRUE(cursor.next_result());
  mysql::Result second = cursor.collect();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].get<int>("b"), 14);
  EXPECT_EQ(second[0].get<std::string>("c"), "x");
  while (cursor.next_result()) cursor.collect();
  EXPECT_TRUE(cursor.finished());
  EXPECT_EQ(c.execute("SELECT ?", 8).scalar().as_int(), 8);
}

TEST(CursorTest, AbandonedCursorClosesTheConnectionAndTheNextCallReconnects) {
  mysql::Connection c(tcp_options(shared_server()));
  {
    mysql::Cursor cursor = c.query_stream("SELECT seq FROM seq_1_to_100000");
    mysql::Row row;
    ASSERT_TRUE(cursor.next(row));
    EXPECT_EQ(row[0].as_uint(), 1u);
    EXPECT_THROW(c.query("SELECT 2"), std::system_error);  // busy while the cursor is open
  }
  EXPECT_FALSE(c.connected());
  EXPECT_EQ(c.query("SELECT 'fresh'").scalar().as_string(), "fresh");  // not row 2 of the old result
  EXPECT_EQ(c.stats().connects, 2u);
}

TEST(CursorTest, FinishedCursorKeepsTheConnection) {
  mysql::Connection c(tcp_options(shared_server()));
  {
    mysql::Cursor cursor = c.stream("SELECT seq FROM seq_1_to_10 WHERE seq > ?", 5);
    EXPECT_EQ(cursor.collect().size(), 5u);
  }
  EXPECT_TRUE(c.connected());
  EXPECT_EQ(c.query("SELECT 1").scalar().as_int(), 1);
  EXPECT_EQ(c.stats().connects, 1u);
}

TEST(CursorTest, ExecuteManyRunsEveryRowAndNamesAFailingOne) {
  mysql::Connection c(tcp_options(shared_server()));
  c.query("CREATE OR REPLACE TABLE batch (k INT PRIMARY KEY, v VARCHAR(10))");
  std::vector<std::vector<mysql::Value>> rows;
  for (int i = 0; i < 100; ++i) rows.push_back({i, "v" + std::to_string(i)});
  EXPECT_EQ(c.executemany("INSERT INTO batch VALUES (?, ?)", rows), 100u);
  EXPECT_EQ(c.query("SELECT COUNT(*) FROM batch").scalar().as_int(), 100);
  EXPECT_EQ(c.stats().prepares, 1u);

  std::vector<std::vector<mysql::Value>> clash = {{1000, "a"}, {1001, "b"}, {5, "dup"}, {1002, "c"}};
  try {
    c.executemany("INSERT INTO batch VALUES (?, ?)", clash);
    FAIL();
  } catch (const mysql::Error& e) {
    EXPECT_EQ(e.server_code(), mysql::server_errc::duplicate_key);
    EXPECT_NE(std::string(e.what()).find("executemany row 2"), std::string::npos) << e.what();
  }
  EXPECT_EQ(c.query("SELECT COUNT(*) FROM batch").scalar().as_int(), 102);  // rows before it stay
}

}  // namespace
