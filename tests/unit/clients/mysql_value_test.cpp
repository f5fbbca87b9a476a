// mysql::Value and mysql::Row without a server: kinds of the constructors, typed reads and their
// conversions, refusals of the wrong kind and of NULL, optional reads, text forms, lookup by column
// name, and the decoding of text-protocol integers (an internal function, hence the src/ include).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>

#include "../../../src/clients/mysql/statement.hpp"
#include "fern/base/error.hpp"
#include "fern/clients/mysql/error.hpp"
#include "fern/clients/mysql/result.hpp"
#include "fern/clients/mysql/row.hpp"
#include "fern/clients/mysql/value.hpp"

namespace mysql = fern::mysql;

namespace {

TEST(MysqlValueTest, ConstructorsPickTheKind) {
  EXPECT_EQ(mysql::Value().kind(), mysql::Kind::null);
  EXPECT_EQ(mysql::Value(nullptr).kind(), mysql::Kind::null);
  EXPECT_EQ(mysql::Value(std::optional<int>()).kind(), mysql::Kind::null);
  EXPECT_EQ(mysql::Value(std::optional<int>(3)).kind(), mysql::Kind::int64);
  EXPECT_EQ(mysql::Value(-1).kind(), mysql::Kind::int64);
  EXPECT_EQ(mysql::Value(1u).kind(), mysql::Kind::uint64);
  EXPECT_EQ(mysql::Value(true).kind(), mysql::Kind::int64);
  EXPECT_EQ(mysql::Value(1.5).kind(), mysql::Kind::real);
  EXPECT_EQ(mysql::Value(1.5f).kind(), mysql::Kind::real);
  EXPECT_EQ(mysql::Value("text").kind(), mysql::Kind::text);
  EXPECT_EQ(mysql::Value(std::string_view("text")).kind(), mysql::Kind::text);
  EXPECT_EQ(mysql::Value(mysql::Bytes{"\x01"}).kind(), mysql::Kind::bytes);
  EXPECT_EQ(mysql::Value(mysql::Decimal{"1.10"}).kind(), mysql::Kind::decimal);
  EXPECT_EQ(mysql::Value(mysql::Date{2024, 1, 2}).kind(), mysql::Kind::date);
  EXPECT_EQ(mysql::Value(mysql::DateTime{}).kind(), mysql::Kind::datetime);
  EXPECT_EQ(mysql::Value(mysql::Time{}).kind(), mysql::Kind::time);
}

TEST(MysqlValueTest, IntegersConvertWhenTheyFit) {
  EXPECT_EQ(mysql::Value(5u).as_int(), 5);
  EXPECT_EQ(mysql::Value(5).as_uint(), 5u);
  EXPECT_THROW(mysql::Value(-5).as_uint(), std::system_error);
  EXPECT_THROW(mysql::Value(std::numeric_limits<std::uint64_t>::max()).as_int(), std::system_error);
  EXPECT_DOUBLE_EQ(mysql::Value(7).as_double(), 7.0);
  EXPECT_EQ(mysql::Value(300).get<std::int16_t>(), 300);
  EXPECT_TRUE(mysql::Value(1).get<bool>());
}

TEST(MysqlValueTest, WrongKindAndNullAreRefusedWithInvalidArgument) {
  try {
    mysql::Value("x").as_int();
    FAIL();
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), fern::Errc::invalid_argument);
  }
  EXPECT_THROW(mysql::Value().as_string(), std::system_error);
  EXPECT_THROW(mysql::Value(1).as_date(), std::system_error);
  EXPECT_EQ(mysql::Value().get<std::optional<int>>(), std::nullopt);
  EXPECT_EQ(mysql::Value(4).get<std::optional<int>>(), 4);
}

TEST(MysqlValueTest, StringsBytesAndDecimalsReadAsStrings) {
  EXPECT_EQ(mysql::Value("abc").as_string(), "abc");
  EXPECT_EQ(mysql::Value(mysql::Bytes{"xy"}).as_string(), "xy");
  EXPECT_EQ(mysql::Value(mysql::Decimal{"-0.01"}).as_string(), "-0.01");
  EXPECT_THROW(mysql::Value("abc").as_bytes(), std::system_error);
}

TEST(MysqlValueTest, TextForms) {
  EXPECT_EQ(mysql::Value().to_string(), "NULL");
  EXPECT_EQ(mysql::Value(mysql::Date{2024, 1, 2}).to_string(), "2024-01-02");
  EXPECT_EQ(mysql::Value(mysql::DateTime{{2024, 1, 2}, 3, 4, 5, 6}).to_string(),
            "2024-01-02 03:04:05.000006");
  EXPECT_EQ(mysql::Value(mysql::DateTime{{2024, 1, 2}, 3, 4, 5, 0}).to_string(), "2024-01-02 03:04:05");
  EXPECT_EQ(mysql::Value(mysql::Time{true, 100, 2, 3, 0}).to_string(), "-100:02:03");
  EXPECT_EQ(mysql::Value(mysql::Bytes{"abc"}).to_string(), "<3 bytes>");
}

TEST(MysqlValueTest, RowByIndexAndName) {
  auto columns = std::make_shared<const mysql::Columns>(
      std::vector<mysql::Column>{mysql::Column{"id", "", 0, 0, 0, 0}, mysql::Column{"name", "", 0, 0, 0, 0}});
  mysql::Row row(columns, {mysql::Value(7), mysql::Value("seven")});
  EXPECT_EQ(row.get<int>(0), 7);
  EXPECT_EQ(row.get<std::string>("name"), "seven");
  EXPECT_THROW(row["missing"], std::system_error);
  EXPECT_THROW(row[2], std::system_error);
  mysql::Result result;
  result.rows.push_back(row);
  EXPECT_THROW(result.scalar(), std::system_error);  // two columns
}

// Text-protocol integers are read whole: a text with anything after the number is refused, not read
// as its numeric prefix (found by fuzzing).
TEST(MysqlValueTest, TextIntegersAreReadWhole) {
  mysql::Column column;
  column.type = MYSQL_TYPE_LONG;
  EXPECT_EQ(mysql::text_value(column, "-12", 3).as_int(), -12);
  EXPECT_THROW(mysql::text_value(column, "9\x1a", 2), mysql::Error);
  EXPECT_THROW(mysql::text_value(column, "12abc", 5), mysql::Error);
  column.flags = UNSIGNED_FLAG;
  EXPECT_EQ(mysql::text_value(column, "18446744073709551615", 20).as_uint(), 18446744073709551615u);
  EXPECT_THROW(mysql::text_value(column, "7 ", 2), mysql::Error);
}

}  // namespace
