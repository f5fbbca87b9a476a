// Every column type round-trips through both protocols: written with execute() (binary protocol,
// bound parameters), read back with execute() (binary rows) and query() (text rows), equal to what
// was written: integers at their limits, unsigned, DECIMAL without loss, FLOAT/DOUBLE, DATE,
// DATETIME/TIMESTAMP with microseconds, negative TIME, utf8mb4 text, BLOB bytes, JSON, YEAR, and
// NULL in every column. Values longer than a fetch slot take the long-value path.
#include "fern/clients/mysql/value.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "fern/clients/mysql/connection.hpp"
#include "mysql_test_support.hpp"

namespace mysql = fern::mysql;
using fern_mysql_test::shared_server;
using fern_mysql_test::tcp_options;

namespace {

const char* kTable =
    "CREATE OR REPLACE TABLE types (id INT PRIMARY KEY, ti TINYINT, si SMALLINT, i INT, bi BIGINT, "
    "ubi BIGINT UNSIGNED, dec_ DECIMAL(30,10), f FLOAT, d DOUBLE, dt DATE, dtm DATETIME(6), "
    "ts TIMESTAMP(6) NULL DEFAULT NULL, tm TIME(6), s VARCHAR(100), t MEDIUMTEXT, b BLOB, vb VARBINARY(16), "
    "j JSON, y YEAR) DEFAULT CHARSET=utf8mb4";

const char* kInsert = "INSERT INTO types VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

std::string all_bytes(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i % 256);
  return s;
}

std::vector<mysql::Value> sample_row() {
  return {
      1,
      std::int8_t{-128},
      std::int16_t{32767},
      std::numeric_limits<std::int32_t>::min(),
      std::numeric_limits<std::int64_t>::min(),
      std::numeric_limits<std::uint64_t>::max(),
      mysql::Decimal{"12345678901234567890.0123456789"},
      0.5f,
      3.141592653589793,
      mysql::Date{2024, 2, 29},
      mysql::DateTime{{2024, 2, 29}, 23, 59, 58, 123456},
      mysql::DateTime{{2024, 3, 1}, 0, 0, 1, 2},
      mysql::Time{true, 12, 34, 56, 789012},
      std::string("h\xC3\xA9llo \xF0\x9F\x8C\xBF"),  // héllo 🌿: four-byte utf8mb4
      std::string(10000, 'z'),                       // longer than a fetch slot
      mysql::Bytes{all_bytes(300)},
      mysql::Bytes{std::string("\x00\x01\xff", 3)},
      std::string(R"({"a": [1, 2], "b": "x"})"),
      2155,
  };
}

class ValueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_.query(kTable);
    conn_.execute_values(kInsert, sample_row());
    std::vector<mysql::Value> nulls(19);
    nulls[0] = 2;
    conn_.execute_values(kInsert, nulls);
  }
  mysql::Connection conn_{tcp_options(shared_server())};
};

void expect_sample(const mysql::Row& row) {
  const std::vector<mysql::Value> want = sample_row();
  ASSERT_EQ(row.size(), want.size());
  for (std::size_t i = 1; i < want.size(); ++i) {
    if (i == 1 || i == 2 || i == 3 || i == 18) {  // narrower integer columns read back as int64
      EXPECT_EQ(row[i].as_int(), want[i].as_int()) << "column " << i;
    } else {
      EXPECT_EQ(row[i], want[i]) << "column " << row.columns()[i].name << ": " << row[i].to_string() << " vs "
                                 << want[i].to_string();
    }
  }
  EXPECT_EQ(row["ubi"].kind(), mysql::Kind::uint64);
  EXPECT_EQ(row.get<std::uint64_t>("ubi"), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(row["dec_"].as_decimal().digits, "12345678901234567890.0123456789");
  EXPECT_EQ(row["b"].kind(), mysql::Kind::bytes);
  EXPECT_EQ(row["t"].kind(), mysql::Kind::text);
  EXPECT_EQ(row["tm"].to_string(), "-12:34:56.789012");
  EXPECT_EQ(row["dtm"].to_string(), "2024-02-29 23:59:58.123456");
}

void expect_nulls(const mysql::Row& row) {
  ASSERT_EQ(row.size(), 19u);
  for (std::size_t i = 1; i < row.size(); ++i) EXPECT_TRUE(row[i].is_null()) << "column " << i;
  EXPECT_EQ(row.get<std::optional<int>>("i"), std::nullopt);
  EXPECT_EQ(row.get<std::optional<std::string>>("s"), std::nullopt);
  EXPECT_THROW(row.get<int>("i"), std::system_error);
}

TEST_F(ValueTest, BinaryProtocolRoundTrip) {
  mysql::Result r = conn_.execute("SELECT * FROM types WHERE id = ?", 1);
  ASSERT_EQ(r.size(), 1u);
  expect_sample(r[0]);
}

TEST_F(ValueTest, TextProtocolRoundTrip) {
  mysql::Result r = conn_.query("SELECT * FROM types WHERE id = 1");
  ASSERT_EQ(r.size(), 1u);
  expect_sample(r[0]);
}

TEST_F(ValueTest, NullsInBothProtocols) {
  expect_nulls(conn_.execute("SELECT * FROM types WHERE id = ?", 2)[0]);
  expect_nulls(conn_.query("SELECT * FROM types WHERE id = 2")[0]);
}

TEST_F(ValueTest, NullParameterAndOptional) {
  std::optional<int> none;
  std::optional<int> some = 5;
  mysql::Result r = conn_.execute("SELECT ? IS NULL, ? IS NULL, ?", none, nullptr, some);
  EXPECT_EQ(r[0][0].as_int(), 1);
  EXPECT_EQ(r[0][1].as_int(), 1);
  EXPECT_EQ(r[0][2].as_int(), 5);
}

TEST_F(ValueTest, DecimalArithmeticStaysExact) {
  conn_.query("CREATE OR REPLACE TABLE money (v DECIMAL(20,2))");
  for (int i = 0; i < 10; ++i) conn_.execute("INSERT INTO money VALUES (?)", mysql::Decimal{"0.10"});
  EXPECT_EQ(conn_.execute("SELECT SUM(v) FROM money WHERE ? = 1", 1).scalar().as_decimal().digits, "1.00");
  EXPECT_EQ(conn_.query("SELECT SUM(v) FROM money").scalar().as_decimal().digits, "1.00");
}

TEST_F(ValueTest, LongValuesGrowTheSlotAcrossRows) {
  conn_.query("CREATE OR REPLACE TABLE longs (n INT, s LONGTEXT)");
  for (int n : {10, 5000, 20, 70000}) conn_.execute("INSERT INTO longs VALUES (?, REPEAT('q', ?))", n, n);
  mysql::Result r = conn_.execute("SELECT n, s FROM longs ORDER BY ? ", 1);
  ASSERT_EQ(r.size(), 4u);
  for (const mysql::Row& row : r) EXPECT_EQ(row[1].as_string().size(), row[0].as_uint());
}

}  // namespace
