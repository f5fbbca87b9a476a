#include "fern/clients/mysql/value.hpp"

#include <cstdio>
#include <limits>

#include "fern/base/error.hpp"
#include "fern/clients/mysql/result.hpp"
#include "fern/clients/mysql/row.hpp"

namespace fern::mysql {

namespace {

[[noreturn]] void wrong_kind(const Value& v, const char* wanted) {
  throw std::system_error(make_error_code(Errc::invalid_argument),
                          std::string("fern::mysql: value ") + v.to_string() + " is not " + wanted);
}

std::string two(unsigned v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02u", v);
  return buf;
}

std::string micro(unsigned us) {
  if (us == 0) return {};
  char buf[16];
  std::snprintf(buf, sizeof buf, ".%06u", us);
  return buf;
}

std::string date_text(const Date& d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", d.year, d.month, d.day);
  return buf;
}

}  // namespace

std::int64_t Value::as_int() const {
  if (auto* i = std::get_if<std::int64_t>(&v_)) return *i;
  if (auto* u = std::get_if<std::uint64_t>(&v_);
      u && *u <= std::uint64_t(std::numeric_limits<std::int64_t>::max()))
    return static_cast<std::int64_t>(*u);
  wrong_kind(*this, "a signed integer");
}

std::uint64_t Value::as_uint() const {
  if (auto* u = std::get_if<std::uint64_t>(&v_)) return *u;
  if (auto* i = std::get_if<std::int64_t>(&v_); i && *i >= 0) return static_cast<std::uint64_t>(*i);
  wrong_kind(*this, "an unsigned integer");
}

double Value::as_double() const {
  if (auto* d = std::get_if<double>(&v_)) return *d;
  if (auto* i = std::get_if<std::int64_t>(&v_)) return static_cast<double>(*i);
  if (auto* u = std::get_if<std::uint64_t>(&v_)) return static_cast<double>(*u);
  wrong_kind(*this, "a number");
}

const Decimal& Value::as_decimal() const {
  if (auto* d = std::get_if<Decimal>(&v_)) return *d;
  wrong_kind(*this, "a DECIMAL");
}

const Date& Value::as_date() const {
  if (auto* d = std::get_if<Date>(&v_)) return *d;
  wrong_kind(*this, "a DATE");
}

const DateTime& Value::as_datetime() const {
  if (auto* d = std::get_if<DateTime>(&v_)) return *d;
  wrong_kind(*this, "a DATETIME");
}

const Time& Value::as_time() const {
  if (auto* t = std::get_if<Time>(&v_)) return *t;
  wrong_kind(*this, "a TIME");
}

std::string_view Value::as_string() const {
  if (auto* s = std::get_if<std::string>(&v_)) return *s;
  if (auto* b = std::get_if<Bytes>(&v_)) return b->data;
  if (auto* d = std::get_if<Decimal>(&v_)) return d->digits;
  wrong_kind(*this, "a string");
}

const Bytes& Value::as_bytes() const {
  if (auto* b = std::get_if<Bytes>(&v_)) return *b;
  wrong_kind(*this, "binary data");
}

std::string Value::to_string() const {
  switch (kind()) {
    case Kind::null: return "NULL";
    case Kind::int64: return std::to_string(std::get<std::int64_t>(v_));
    case Kind::uint64: return std::to_string(std::get<std::uint64_t>(v_));
    case Kind::real: {
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.17g", std::get<double>(v_));
      return buf;
    }
    case Kind::decimal: return std::get<Decimal>(v_).digits;
    case Kind::date: return date_text(std::get<Date>(v_));
    case Kind::datetime: {
      const DateTime& t = std::get<DateTime>(v_);
      return date_text(t.date) + " " + two(t.hour) + ":" + two(t.minute) + ":" + two(t.second) +
             micro(t.microsecond);
    }
    case Kind::time: {
      const Time& t = std::get<Time>(v_);
      return (t.negative ? "-" : "") + two(t.hours) + ":" + two(t.minutes) + ":" + two(t.seconds) +
             micro(t.microseconds);
    }
    case Kind::text: return std::get<std::string>(v_);
    case Kind::bytes: return "<" + std::to_string(std::get<Bytes>(v_).data.size()) + " bytes>";
  }
  return {};
}

std::size_t Columns::index_of(std::string_view name) const {
  for (std::size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i].name == name) return i;
  throw std::system_error(make_error_code(Errc::invalid_argument),
                          "fern::mysql: no column named '" + std::string(name) + "'");
}

const Value& Row::operator[](std::size_t i) const {
  if (i >= values_.size())
    throw std::system_error(make_error_code(Errc::invalid_argument),
                            "fern::mysql: column index " + std::to_string(i) + " out of range");
  return values_[i];
}

const Value& Row::operator[](std::string_view column) const { return (*this)[columns().index_of(column)]; }

const Columns& Row::columns() const {
  static const Columns none;
  return columns_ ? *columns_ : none;
}

const Value& Result::scalar() const {
  if (rows.size() != 1 || rows[0].size() != 1)
    throw std::system_error(
        make_error_code(Errc::invalid_argument),
        "fern::mysql: scalar() of a result with " + std::to_string(rows.size()) + " rows");
  return rows[0][0];
}

}  // namespace fern::mysql
