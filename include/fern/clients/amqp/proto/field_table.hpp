// FieldTable, FieldArray and FieldValue: AMQP 0-9-1 field tables (the `arguments` of declares and
// binds, the `headers` property, the broker's capabilities) as plain values, with their wire
// encoding. Pure data and byte shuffling; nothing here blocks or does I/O.
//
// The type tags are RabbitMQ's (and pika's), not the 0-9-1 spec's table, which RabbitMQ documents
// as wrong: 's' is a signed 16-bit integer (not a short string), 'l' a signed 64-bit integer, 'u'
// unsigned 16-bit, 'i' unsigned 32-bit, 'I' signed 32-bit, 'b' signed 8-bit, 'B' unsigned 8-bit,
// 'x' a byte array (a long string that is not text), 'T' a 64-bit timestamp, 'D' a decimal (scale
// octet + 32-bit value), 'f' / 'd' IEEE float / double, 'V' void, 't' boolean, 'S' long string,
// 'A' array, 'F' nested table. Decoding an unknown tag is a protocol error (a peer's table cannot
// be skipped past without knowing the value's size).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

namespace fern::amqp {

class FieldValue;

// An ordered list of (name, value) pairs; order is kept as received. Names are short strings
// (at most 255 bytes).
class FieldTable {
 public:
  using Entry = std::pair<std::string, FieldValue>;

  FieldTable() = default;
  FieldTable(std::initializer_list<Entry> entries);

  // The value named `name`, or null.
  const FieldValue* find(std::string_view name) const noexcept;
  // Replaces the value named `name`, or appends it.
  void set(std::string name, FieldValue value);

  // Defined below, once FieldValue is complete.
  bool empty() const noexcept;
  std::size_t size() const noexcept;
  const std::vector<Entry>& entries() const noexcept { return entries_; }
  std::vector<Entry>& entries() noexcept { return entries_; }

  friend bool operator==(const FieldTable& a, const FieldTable& b);

 private:
  std::vector<Entry> entries_;
};

struct FieldArray {
  std::vector<FieldValue> values;
  friend bool operator==(const FieldArray& a, const FieldArray& b);
};

// 'D': value / 10^scale.
struct Decimal {
  std::uint8_t scale = 0;
  std::uint32_t value = 0;
  friend bool operator==(const Decimal&, const Decimal&) = default;
};

// 'T': seconds since the Unix epoch.
struct Timestamp {
  std::uint64_t seconds = 0;
  friend bool operator==(const Timestamp&, const Timestamp&) = default;
};

// 'x': bytes that are not text.
struct ByteArray {
  std::string bytes;
  friend bool operator==(const ByteArray&, const ByteArray&) = default;
};

class FieldValue {
 public:
  // Alternatives in tag order: V t b B s u I i l f d D S x T A F.
  using Variant = std::variant<std::monostate, bool, std::int8_t, std::uint8_t, std::int16_t, std::uint16_t,
                               std::int32_t, std::uint32_t, std::int64_t, float, double, Decimal, std::string,
                               ByteArray, Timestamp, FieldArray, FieldTable>;

  FieldValue() = default;  // void ('V')
  FieldValue(bool v) : v_(v) {}
  FieldValue(std::int8_t v) : v_(v) {}
  FieldValue(std::uint8_t v) : v_(v) {}
  FieldValue(std::int16_t v) : v_(v) {}
  FieldValue(std::uint16_t v) : v_(v) {}
  FieldValue(std::int32_t v) : v_(v) {}
  FieldValue(std::uint32_t v) : v_(v) {}
  FieldValue(std::int64_t v) : v_(v) {}
  FieldValue(long long v) : v_(static_cast<std::int64_t>(v)) {}
  FieldValue(float v) : v_(v) {}
  FieldValue(double v) : v_(v) {}
  FieldValue(Decimal v) : v_(v) {}
  FieldValue(std::string v) : v_(std::move(v)) {}
  FieldValue(std::string_view v) : v_(std::string(v)) {}
  FieldValue(const char* v) : v_(std::string(v)) {}
  FieldValue(ByteArray v) : v_(std::move(v)) {}
  FieldValue(Timestamp v) : v_(v) {}
  FieldValue(FieldArray v) : v_(std::move(v)) {}
  FieldValue(FieldTable v) : v_(std::move(v)) {}

  // The wire tag of the held alternative ('V', 't', 'b', ...).
  char tag() const noexcept;

  template <class T>
  bool is() const noexcept {
    return std::holds_alternative<T>(v_);
  }
  // Throws std::bad_variant_access when the value holds another type.
  template <class T>
  const T& as() const {
    return std::get<T>(v_);
  }
  // Any integer alternative (b B s u I i l) widened; false for other types.
  bool to_int64(std::int64_t& out) const noexcept;

  const Variant& variant() const noexcept { return v_; }
  Variant& variant() noexcept { return v_; }

  friend bool operator==(const FieldValue& a, const FieldValue& b) { return a.v_ == b.v_; }

 private:
  Variant v_;
};

inline bool FieldTable::empty() const noexcept { return entries_.empty(); }
inline std::size_t FieldTable::size() const noexcept { return entries_.size(); }

// Nesting deeper than this (tables in arrays in tables...) is refused when decoding, so a hostile
// peer cannot exhaust the stack.
inline constexpr int kMaxFieldNesting = 64;

// Appends the table's encoding (a 32-bit byte length, then the entries) to `out`. Throws
// std::system_error(Errc::invalid_argument) for a name longer than 255 bytes.
void encode_field_table(std::string& out, const FieldTable& table);
void encode_field_array(std::string& out, const FieldArray& array);
// Appends one tagged value.
void encode_field_value(std::string& out, const FieldValue& value);

// Decodes a table from the front of `in` (length included) and advances `in` past it. On malformed
// input sets `ec` (Errc::protocol_error) and leaves `out` unspecified.
void decode_field_table(std::string_view& in, FieldTable& out, std::error_code& ec);
void decode_field_array(std::string_view& in, FieldArray& out, std::error_code& ec);

}  // namespace fern::amqp
