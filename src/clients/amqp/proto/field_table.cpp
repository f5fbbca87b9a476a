#include "fern/clients/amqp/proto/field_table.hpp"

#include <bit>
#include <cstring>

#include "fern/base/error.hpp"
#include "wire.hpp"

namespace fern::amqp {
namespace {

using wire::WireReader;

constexpr char kTags[] = "VtbBsuIilfdDSxTAF";  // in the variant's alternative order

void encode_value(std::string& out, const FieldValue& value);

void encode_table_body(std::string& out, const FieldTable& table) {
  const std::size_t at = out.size();
  wire::put_u32(out, 0);
  for (const auto& [name, value] : table.entries()) {
    wire::put_shortstr(out, name);
    encode_value(out, value);
  }
  wire::patch_u32(out, at, static_cast<std::uint32_t>(out.size() - at - 4));
}

void encode_array_body(std::string& out, const FieldArray& array) {
  const std::size_t at = out.size();
  wire::put_u32(out, 0);
  for (const FieldValue& value : array.values) encode_value(out, value);
  wire::patch_u32(out, at, static_cast<std::uint32_t>(out.size() - at - 4));
}

struct ValueEncoder {
  std::string& out;
  void operator()(std::monostate) const {}
  void operator()(bool v) const { wire::put_u8(out, v ? 1 : 0); }
  void operator()(std::int8_t v) const { wire::put_u8(out, static_cast<std::uint8_t>(v)); }
  void operator()(std::uint8_t v) const { wire::put_u8(out, v); }
  void operator()(std::int16_t v) const { wire::put_u16(out, static_cast<std::uint16_t>(v)); }
  void operator()(std::uint16_t v) const { wire::put_u16(out, v); }
  void operator()(std::int32_t v) const { wire::put_u32(out, static_cast<std::uint32_t>(v)); }
  void operator()(std::uint32_t v) const { wire::put_u32(out, v); }
  void operator()(std::int64_t v) const { wire::put_u64(out, static_cast<std::uint64_t>(v)); }
  void operator()(float v) const { wire::put_u32(out, std::bit_cast<std::uint32_t>(v)); }
  void operator()(double v) const { wire::put_u64(out, std::bit_cast<std::uint64_t>(v)); }
  void operator()(const Decimal& v) const {
    wire::put_u8(out, v.scale);
    wire::put_u32(out, v.value);
  }
  void operator()(const std::string& v) const { wire::put_longstr(out, v); }
  void operator()(const ByteArray& v) const { wire::put_longstr(out, v.bytes); }
  void operator()(const Timestamp& v) const { wire::put_u64(out, v.seconds); }
  void operator()(const FieldArray& v) const { encode_array_body(out, v); }
  void operator()(const FieldTable& v) const { encode_table_body(out, v); }
};

void encode_value(std::string& out, const FieldValue& value) {
  out.push_back(value.tag());
  std::visit(ValueEncoder{out}, value.variant());
}

bool decode_table_body(WireReader& r, FieldTable& out, int depth);
bool decode_array_body(WireReader& r, FieldArray& out, int depth);

// One tagged value; false on an unknown tag, a truncated value or too deep a nesting.
bool decode_value(WireReader& r, FieldValue& out, int depth) {
  const char tag = static_cast<char>(r.u8());
  if (r.failed()) return false;
  switch (tag) {
    case 'V': out = FieldValue(); break;
    case 't': out = FieldValue(r.u8() != 0); break;
    case 'b': out = FieldValue(static_cast<std::int8_t>(r.u8())); break;
    case 'B': out = FieldValue(static_cast<std::uint8_t>(r.u8())); break;
    case 's': out = FieldValue(static_cast<std::int16_t>(r.u16())); break;
    case 'u': out = FieldValue(static_cast<std::uint16_t>(r.u16())); break;
    case 'I': out = FieldValue(static_cast<std::int32_t>(r.u32())); break;
    case 'i': out = FieldValue(static_cast<std::uint32_t>(r.u32())); break;
    case 'l': out = FieldValue(static_cast<std::int64_t>(r.u64())); break;
    case 'f': out = FieldValue(std::bit_cast<float>(r.u32())); break;
    case 'd': out = FieldValue(std::bit_cast<double>(r.u64())); break;
    case 'D': {
      Decimal d;
      d.scale = r.u8();
      d.value = r.u32();
      out = FieldValue(d);
      break;
    }
    case 'S': out = FieldValue(std::string(r.longstr())); break;
    case 'x': out = FieldValue(ByteArray{std::string(r.longstr())}); break;
    case 'T': out = FieldValue(Timestamp{r.u64()}); break;
    case 'A': {
      FieldArray a;
      if (!decode_array_body(r, a, depth + 1)) return false;
      out = FieldValue(std::move(a));
      break;
    }
    case 'F': {
      FieldTable t;
      if (!decode_table_body(r, t, depth + 1)) return false;
      out = FieldValue(std::move(t));
      break;
    }
    default: return false;
  }
  return !r.failed();
}

bool decode_table_body(WireReader& r, FieldTable& out, int depth) {
  if (depth > kMaxFieldNesting) return false;
  WireReader body(r.longstr());
  if (r.failed()) return false;
  out.entries().clear();
  while (!body.at_end()) {
    std::string name(body.shortstr());
    FieldValue value;
    if (body.failed() || !decode_value(body, value, depth)) return false;
    out.entries().emplace_back(std::move(name), std::move(value));
  }
  return true;
}

bool decode_array_body(WireReader& r, FieldArray& out, int depth) {
  if (depth > kMaxFieldNesting) return false;
  WireReader body(r.longstr());
  if (r.failed()) return false;
  out.values.clear();
  while (!body.at_end()) {
    FieldValue value;
    if (!decode_value(body, value, depth)) return false;
    out.values.push_back(std::move(value));
  }
  return true;
}

}  // namespace

FieldTable::FieldTable(std::initializer_list<Entry> entries) : entries_(entries) {}

const FieldValue* FieldTable::find(std::string_view name) const noexcept {
  for (const Entry& e : entries_)
    if (e.first == name) return &e.second;
  return nullptr;
}

void FieldTable::set(std::string name, FieldValue value) {
  for (Entry& e : entries_) {
    if (e.first == name) {
      e.second = std::move(value);
      return;
    }
  }
  entries_.emplace_back(std::move(name), std::move(value));
}

bool operator==(const FieldTable& a, const FieldTable& b) { return a.entries_ == b.entries_; }
bool operator==(const FieldArray& a, const FieldArray& b) { return a.values == b.values; }

char FieldValue::tag() const noexcept { return kTags[v_.index()]; }

bool FieldValue::to_int64(std::int64_t& out) const noexcept {
  return std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
          out = static_cast<std::int64_t>(v);
          return true;
        } else {
          return false;
        }
      },
      v_);
}

void encode_field_table(std::string& out, const FieldTable& table) { encode_table_body(out, table); }
void encode_field_array(std::string& out, const FieldArray& array) { encode_array_body(out, array); }
void encode_field_value(std::string& out, const FieldValue& value) { encode_value(out, value); }

void decode_field_table(std::string_view& in, FieldTable& out, std::error_code& ec) {
  WireReader r(in);
  if (!decode_table_body(r, out, 0)) {
    ec = make_error_code(Errc::protocol_error);
    return;
  }
  in = r.rest();
}

void decode_field_array(std::string_view& in, FieldArray& out, std::error_code& ec) {
  WireReader r(in);
  if (!decode_array_body(r, out, 0)) {
    ec = make_error_code(Errc::protocol_error);
    return;
  }
  in = r.rest();
}

}  // namespace fern::amqp
