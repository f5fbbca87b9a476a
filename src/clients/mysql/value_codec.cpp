// Turning Connector/C's column descriptions, text-protocol strings and MYSQL_TIME into Values.
#include <charconv>
#include <cstdlib>
#include <string>

#include "fern/base/error.hpp"
#include "fern/clients/mysql/error.hpp"
#include "statement.hpp"

namespace fern::mysql {

namespace {

constexpr unsigned kBinaryCharset = 63;

// Reads an unsigned decimal number of at most `max_digits` from `s` at `pos`; advances pos.
unsigned read_number(std::string_view s, std::size_t& pos, std::size_t max_digits = 10) {
  unsigned v = 0;
  std::size_t start = pos;
  while (pos < s.size() && pos - start < max_digits && s[pos] >= '0' && s[pos] <= '9')
    v = v * 10 + (s[pos++] - '0');
  return v;
}

// ".123" -> 123000 microseconds.
unsigned read_fraction(std::string_view s, std::size_t& pos) {
  if (pos >= s.size() || s[pos] != '.') return 0;
  ++pos;
  unsigned v = 0, digits = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
    if (digits < 6) v = v * 10 + (s[pos] - '0'), ++digits;
    ++pos;
  }
  while (digits++ < 6) v *= 10;
  return v;
}

Date parse_date(std::string_view s, std::size_t& pos) {
  Date d;
  d.year = static_cast<int>(read_number(s, pos, 4));
  ++pos;
  d.month = read_number(s, pos, 2);
  ++pos;
  d.day = read_number(s, pos, 2);
  return d;
}

DateTime parse_datetime(std::string_view s) {
  std::size_t pos = 0;
  DateTime t;
  t.date = parse_date(s, pos);
  if (pos < s.size()) {
    ++pos;
    t.hour = read_number(s, pos, 2);
    ++pos;
    t.minute = read_number(s, pos, 2);
    ++pos;
    t.second = read_number(s, pos, 2);
    t.microsecond = read_fraction(s, pos);
  }
  return t;
}

Time parse_time(std::string_view s) {
  std::size_t pos = 0;
  Time t;
  if (!s.empty() && s[0] == '-') t.negative = true, ++pos;
  t.hours = read_number(s, pos, 4);
  ++pos;
  t.minutes = read_number(s, pos, 2);
  ++pos;
  t.seconds = read_number(s, pos, 2);
  t.microseconds = read_fraction(s, pos);
  return t;
}

template <class T>
T parse_number(std::string_view s) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  // The whole text or nothing: "12abc" is not 12.
  if (ec != std::errc() || p != s.data() + s.size())
    throw Error(make_error_code(Errc::protocol_error),
                "fern::mysql: bad number from the server: " + std::string(s), "HY000", Outcome::unknown);
  return v;
}

}  // namespace

std::vector<Column> describe_fields(const MYSQL_FIELD* fields, unsigned count) {
  std::vector<Column> columns(count);
  for (unsigned i = 0; i < count; ++i) {
    const MYSQL_FIELD& f = fields[i];
    columns[i].name.assign(f.name, f.name_length);
    columns[i].table.assign(f.table, f.table_length);
    columns[i].type = f.type;
    columns[i].flags = f.flags;
    columns[i].charset = f.charsetnr;
    columns[i].decimals = f.decimals;
  }
  return columns;
}

Value text_value(const Column& column, const char* data, unsigned long length) {
  if (!data) return Value();
  std::string_view s(data, length);
  switch (column.type) {
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONGLONG:
    case MYSQL_TYPE_YEAR:
      if (column.flags & UNSIGNED_FLAG) return Value(parse_number<std::uint64_t>(s));
      return Value(parse_number<std::int64_t>(s));
    case MYSQL_TYPE_DECIMAL:
    case MYSQL_TYPE_NEWDECIMAL: return Value(Decimal{std::string(s)});
    case MYSQL_TYPE_FLOAT: return Value(std::strtof(std::string(s).c_str(), nullptr));
    case MYSQL_TYPE_DOUBLE: return Value(std::strtod(std::string(s).c_str(), nullptr));
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_NEWDATE: {
      std::size_t pos = 0;
      return Value(parse_date(s, pos));
    }
    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_TIMESTAMP: return Value(parse_datetime(s));
    case MYSQL_TYPE_TIME: return Value(parse_time(s));
    case MYSQL_TYPE_JSON: return Value(std::string(s));
    case MYSQL_TYPE_BIT:
    case MYSQL_TYPE_GEOMETRY: return Value(Bytes{std::string(s)});
    default:
      if (column.charset == kBinaryCharset) return Value(Bytes{std::string(s)});
      return Value(std::string(s));
  }
}

Value time_value(const MYSQL_TIME& t) {
  switch (t.time_type) {
    case MYSQL_TIMESTAMP_DATE: return Value(Date{static_cast<int>(t.year), t.month, t.day});
    case MYSQL_TIMESTAMP_TIME:
      return Value(
          Time{t.neg != 0, t.day * 24 + t.hour, t.minute, t.second, static_cast<unsigned>(t.second_part)});
    default:
      return Value(DateTime{Date{static_cast<int>(t.year), t.month, t.day}, t.hour, t.minute, t.second,
                            static_cast<unsigned>(t.second_part)});
  }
}

MYSQL_TIME to_mysql_time(const Value& v) {
  MYSQL_TIME t{};
  switch (v.kind()) {
    case Kind::date: {
      const Date& d = v.as_date();
      t.year = static_cast<unsigned>(d.year), t.month = d.month, t.day = d.day;
      t.time_type = MYSQL_TIMESTAMP_DATE;
      break;
    }
    case Kind::time: {
      const Time& x = v.as_time();
      t.neg = x.negative, t.hour = x.hours, t.minute = x.minutes, t.second = x.seconds;
      t.second_part = x.microseconds;
      t.time_type = MYSQL_TIMESTAMP_TIME;
      break;
    }
    default: {
      const DateTime& x = v.as_datetime();
      t.year = static_cast<unsigned>(x.date.year), t.month = x.date.month, t.day = x.date.day;
      t.hour = x.hour, t.minute = x.minute, t.second = x.second, t.second_part = x.microsecond;
      t.time_type = MYSQL_TIMESTAMP_DATETIME;
      break;
    }
  }
  return t;
}

}  // namespace fern::mysql
