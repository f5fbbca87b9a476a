// Fuzzes the decoding of MariaDB/MySQL text-protocol values (text_value in
// src/clients/mysql/value_codec.cpp): the strings Connector/C hands over for a row, read by column
// type. Input: byte 0 picks the column type, byte 1 its flags (unsigned, binary charset), the rest is
// the column's text.
// Invariants: no crash or sanitizer report; the only exception is fern::mysql::Error; an integer is
// accepted only when the whole text is a number, and prints back as the text when that is
// canonical; dates, datetimes and times keep every field within the digits it was read from, and a
// canonical text (as the server sends it) prints back as itself; decimals, text, JSON and bytes
// keep the text unchanged.
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <string>
#include <string_view>

#include "../../src/clients/mysql/statement.hpp"
#include "fern/clients/mysql/error.hpp"
#include "fern/clients/mysql/value.hpp"
#include "fuzz_check.hpp"

namespace {

using fern::mysql::Column;
using fern::mysql::Kind;
using fern::mysql::Value;

using fern::fuzz::check;

constexpr int kTypes[] = {
    MYSQL_TYPE_TINY,  MYSQL_TYPE_SHORT,   MYSQL_TYPE_LONG,       MYSQL_TYPE_INT24,      MYSQL_TYPE_LONGLONG,
    MYSQL_TYPE_YEAR,  MYSQL_TYPE_DECIMAL, MYSQL_TYPE_NEWDECIMAL, MYSQL_TYPE_FLOAT,      MYSQL_TYPE_DOUBLE,
    MYSQL_TYPE_DATE,  MYSQL_TYPE_NEWDATE, MYSQL_TYPE_DATETIME,   MYSQL_TYPE_TIMESTAMP,  MYSQL_TYPE_TIME,
    MYSQL_TYPE_JSON,  MYSQL_TYPE_BIT,     MYSQL_TYPE_GEOMETRY,   MYSQL_TYPE_VAR_STRING, MYSQL_TYPE_BLOB,
    MYSQL_TYPE_STRING};

// The canonical forms the server sends, compiled once.
const std::regex kInteger("-?(0|[1-9][0-9]*)");
const std::regex kDate("[0-9]{4}-[0-9]{2}-[0-9]{2}");
const std::regex kDateTime("[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{6})?");
// Hours take two digits, three from 100 on (TIME spans -838:59:59 to 838:59:59).
const std::regex kTime("-?([0-9]{2}|[1-9][0-9]{2}):[0-9]{2}:[0-9]{2}(\\.[0-9]{6})?");

bool matches(std::string_view text, const std::regex& form) {
  return std::regex_match(text.begin(), text.end(), form);
}

// Without a fraction of only zeros, which prints as nothing.
std::string without_zero_fraction(std::string_view text) {
  if (text.size() >= 7 && text.substr(text.size() - 7) == ".000000") text.remove_suffix(7);
  return std::string(text);
}

void check_integer(const Value& v, std::string_view text, bool is_unsigned) {
  check(v.kind() == (is_unsigned ? Kind::uint64 : Kind::int64), "integer kind");
  if (is_unsigned) {
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    check(ec == std::errc() && end == text.data() + text.size(),
          "accepted a text that is not wholly a number");
    check(v.as_uint() == n, "unsigned value");
  } else {
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    check(ec == std::errc() && end == text.data() + text.size(),
          "accepted a text that is not wholly a number");
    check(v.as_int() == n, "signed value");
  }
  if (matches(text, kInteger) && text != "-0") check(v.to_string() == text, "integer prints back");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  Column column;
  column.type = kTypes[data[0] % std::size(kTypes)];
  column.flags = (data[1] & 1) ? UNSIGNED_FLAG : 0;
  column.charset = (data[1] & 2) ? 63 : 45;
  const std::string_view text(reinterpret_cast<const char*>(data) + 2, size - 2);

  Value v;
  try {
    v = fern::mysql::text_value(column, text.data(), static_cast<unsigned long>(text.size()));
  } catch (const fern::mysql::Error&) {
    return 0;
  }
  check(fern::mysql::text_value(column, nullptr, 0).is_null(), "SQL NULL");
  switch (v.kind()) {
    case Kind::int64:
    case Kind::uint64: check_integer(v, text, (column.flags & UNSIGNED_FLAG) != 0); break;
    case Kind::decimal: check(v.as_decimal().digits == text, "decimal digits changed"); break;
    case Kind::text: check(v.as_string() == text, "text changed"); break;
    case Kind::bytes: check(v.as_bytes().data == text, "bytes changed"); break;
    case Kind::real: (void)v.as_double(); break;
    case Kind::date: {
      const auto& d = v.as_date();
      check(d.year >= 0 && d.year <= 9999 && d.month <= 99 && d.day <= 99, "date field beyond its digits");
      if (matches(text, kDate)) check(v.to_string() == text, "date prints back");
      break;
    }
    case Kind::datetime: {
      const auto& t = v.as_datetime();
      check(t.date.year >= 0 && t.date.year <= 9999 && t.date.month <= 99 && t.date.day <= 99 &&
                t.hour <= 99 && t.minute <= 99 && t.second <= 99 && t.microsecond <= 999999,
            "datetime field beyond its digits");
      if (matches(text, kDateTime))
        check(v.to_string() == without_zero_fraction(text), "datetime prints back");
      break;
    }
    case Kind::time: {
      const auto& t = v.as_time();
      check(t.hours <= 9999 && t.minutes <= 99 && t.seconds <= 99 && t.microseconds <= 999999,
            "time field beyond its digits");
      if (matches(text, kTime)) check(v.to_string() == without_zero_fraction(text), "time prints back");
      break;
    }
    case Kind::null: check(false, "a text decoded as NULL"); break;
  }
  return 0;
}
