// Value: one SQL value as a statement parameter or a column of a row: NULL, a signed or unsigned
// integer, a DECIMAL kept as its exact digits, a FLOAT/DOUBLE, DATE, DATETIME/TIMESTAMP (with
// microseconds), TIME (signed, up to 838 hours), a text string, or binary bytes (BLOB, BINARY).
// JSON arrives as text. A plain value; nothing here blocks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace fern::mysql {

struct Date {
  int year = 0;
  unsigned month = 0, day = 0;
  friend bool operator==(const Date&, const Date&) = default;
};

struct DateTime {  // DATETIME and TIMESTAMP (the session's time zone, as the server sends it)
  Date date;
  unsigned hour = 0, minute = 0, second = 0, microsecond = 0;
  friend bool operator==(const DateTime&, const DateTime&) = default;
};

struct Time {  // a duration or time of day: -838:59:59 .. 838:59:59
  bool negative = false;
  unsigned hours = 0, minutes = 0, seconds = 0, microseconds = 0;
  friend bool operator==(const Time&, const Time&) = default;
};

struct Decimal {  // the exact digits, e.g. "-12345.6789"; never passed through a double
  std::string digits;
  friend bool operator==(const Decimal&, const Decimal&) = default;
};

struct Bytes {  // binary data (BLOB, BINARY, BIT), as opposed to text in the connection's charset
  std::string data;
  friend bool operator==(const Bytes&, const Bytes&) = default;
};

enum class Kind { null, int64, uint64, real, decimal, date, datetime, time, text, bytes };

class Value {
 public:
  Value() = default;
  Value(std::nullptr_t) {}
  Value(std::nullopt_t) {}
  template <class T, std::enable_if_t<std::is_integral_v<T> && std::is_signed_v<T>, int> = 0>
  Value(T v) : v_(std::int64_t{v}) {}
  template <class T, std::enable_if_t<
                         std::is_integral_v<T> && std::is_unsigned_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Value(T v) : v_(std::uint64_t{v}) {}
  Value(bool v) : v_(std::int64_t{v ? 1 : 0}) {}
  Value(double v) : v_(v) {}
  Value(float v) : v_(static_cast<double>(v)) {}
  Value(Decimal v) : v_(std::move(v)) {}
  Value(Date v) : v_(v) {}
  Value(DateTime v) : v_(v) {}
  Value(Time v) : v_(v) {}
  Value(std::string v) : v_(std::move(v)) {}
  Value(std::string_view v) : v_(std::string(v)) {}
  Value(const char* v) : v_(std::string(v)) {}
  Value(Bytes v) : v_(std::move(v)) {}
  template <class T>
  Value(const std::optional<T>& v) {
    if (v) *this = Value(*v);
  }

  Kind kind() const noexcept { return static_cast<Kind>(v_.index()); }
  bool is_null() const noexcept { return kind() == Kind::null; }

  // Typed reads; each throws std::system_error (Errc::invalid_argument) when the value is NULL or
  // of another kind. Integers convert between signed and unsigned when they fit; as_double also
  // reads integers; as_string reads text, bytes and decimals.
  std::int64_t as_int() const;
  std::uint64_t as_uint() const;
  double as_double() const;
  const Decimal& as_decimal() const;
  const Date& as_date() const;
  const DateTime& as_datetime() const;
  const Time& as_time() const;
  std::string_view as_string() const;
  const Bytes& as_bytes() const;

  // get<T>(): as_*() by type; std::optional<T> gives nullopt for NULL.
  template <class T>
  T get() const;

  // A readable form for messages and the tour ("NULL", "2024-01-02 03:04:05.000006", ...).
  std::string to_string() const;

  friend bool operator==(const Value&, const Value&) = default;

  // For binding a parameter without a copy: the stored number, or null for another kind.
  const std::int64_t* int_ptr() const noexcept { return std::get_if<std::int64_t>(&v_); }
  const std::uint64_t* uint_ptr() const noexcept { return std::get_if<std::uint64_t>(&v_); }
  const double* real_ptr() const noexcept { return std::get_if<double>(&v_); }

 private:
  std::variant<std::monostate, std::int64_t, std::uint64_t, double, Decimal, Date, DateTime, Time,
               std::string, Bytes>
      v_;
};

namespace detail {
template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
}  // namespace detail

template <class T>
T Value::get() const {
  if constexpr (detail::IsOptional<T>::value) {
    if (is_null()) return std::nullopt;
    return get<typename T::value_type>();
  } else if constexpr (std::is_same_v<T, bool>) {
    return as_int() != 0;
  } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
    return static_cast<T>(as_int());
  } else if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(as_uint());
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(as_double());
  } else if constexpr (std::is_same_v<T, std::string>) {
    return std::string(as_string());
  } else if constexpr (std::is_same_v<T, std::string_view>) {
    return as_string();
  } else if constexpr (std::is_same_v<T, Decimal>) {
    return as_decimal();
  } else if constexpr (std::is_same_v<T, Date>) {
    return as_date();
  } else if constexpr (std::is_same_v<T, DateTime>) {
    return as_datetime();
  } else if constexpr (std::is_same_v<T, Time>) {
    return as_time();
  } else {
    static_assert(std::is_same_v<T, Bytes>, "Value::get: unsupported type");
    return as_bytes();
  }
}

}  // namespace fern::mysql
