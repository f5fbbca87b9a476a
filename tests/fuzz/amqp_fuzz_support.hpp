// What the AMQP fuzzers share: an invariant check that aborts, and the round trips every decoded
// payload must survive. Each returns whether the bytes decoded; when they did, encoding the value
// and decoding that again gives bytes that encode the same (compared as bytes: a NaN in a table is
// unequal to itself as a value).
#pragma once

#include <string>
#include <string_view>
#include <system_error>

#include "fern/clients/amqp/proto/basic_properties.hpp"
#include "fern/clients/amqp/proto/field_table.hpp"
#include "fern/clients/amqp/proto/methods.hpp"
#include "fuzz_check.hpp"

namespace fern::amqp::fuzz {

using fern::fuzz::check;

inline bool round_trip_method(std::string_view payload, std::error_code& ec) {
  Method m;
  if (!decode_method(payload, m, ec)) return false;
  check(!ec, "a decoded method left an error");
  std::string once;
  encode_method(once, m);
  Method again;
  check(decode_method(once, again, ec), "a re-encoded method decodes");
  std::string twice;
  encode_method(twice, again);
  check(once == twice, "decode -> encode -> decode is stable for methods");
  check(class_id_of(again) == class_id_of(m) && method_id_of(again) == method_id_of(m), "same method");
  return true;
}

inline bool round_trip_header(std::string_view payload, std::error_code& ec) {
  ContentHeader h;
  decode_content_header(payload, h, ec);
  if (ec) return false;
  std::string once;
  encode_content_header(once, h);
  ContentHeader again;
  decode_content_header(once, again, ec);
  check(!ec, "a re-encoded content header decodes");
  std::string twice;
  encode_content_header(twice, again);
  check(once == twice, "decode -> encode -> decode is stable for content headers");
  return true;
}

// A field table or array read from the front of `in` (which it consumes, as the decoder does).
template <class Value, class Decode, class Encode>
bool round_trip_field(std::string_view& in, std::error_code& ec, Decode decode, Encode encode) {
  Value value;
  decode(in, value, ec);
  if (ec) return false;
  std::string once;
  encode(once, value);
  std::string_view rest = once;
  Value again;
  decode(rest, again, ec);
  check(!ec && rest.empty(), "a re-encoded table or array decodes whole");
  std::string twice;
  encode(twice, again);
  check(once == twice, "decode -> encode -> decode is stable for tables and arrays");
  return true;
}

inline bool round_trip_table(std::string_view& in, std::error_code& ec) {
  return round_trip_field<FieldTable>(
      in, ec, decode_field_table, [](std::string& out, const FieldTable& t) { encode_field_table(out, t); });
}

inline bool round_trip_array(std::string_view& in, std::error_code& ec) {
  return round_trip_field<FieldArray>(
      in, ec, decode_field_array, [](std::string& out, const FieldArray& a) { encode_field_array(out, a); });
}

}  // namespace fern::amqp::fuzz
