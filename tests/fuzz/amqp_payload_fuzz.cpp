// libFuzzer target for the AMQP payload decoders, fed directly rather than through frames (the
// amqp_frame fuzzer reaches them only once it has built a well-framed frame). Input: one selector
// byte, then the payload: a method frame's payload, a content header's, a field table or a field
// array. Invariants checked:
//   * no crash, leak or undefined behaviour (ASan, UBSan, LeakSanitizer), and nesting bounded;
//   * a failed decode sets Errc::protocol_error and nothing else, and throws nothing;
//   * what decodes re-encodes to bytes that decode again and encode to the same bytes
//     (decode -> encode -> decode is stable);
//   * every argument of a method is mandatory and trailing bytes are refused: no proper prefix of a
//     method payload that decodes decodes, nor the payload with a byte appended;
//   * a table or array consumes exactly the bytes its length announces.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fern/base/error.hpp"
#include "fern/clients/amqp/proto/basic_properties.hpp"
#include "fern/clients/amqp/proto/field_table.hpp"
#include "fern/clients/amqp/proto/methods.hpp"

namespace {

using namespace fern::amqp;

void check(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "invariant broken: %s\n", what);
  std::abort();
}

void check_failure(const std::error_code& ec) {
  check(ec == fern::Errc::protocol_error, "a decoder failed with something other than protocol_error");
}

void fuzz_method(std::string_view payload) {
  Method m;
  std::error_code ec;
  if (!decode_method(payload, m, ec)) return check_failure(ec);
  check(!ec, "a decoded method left an error");
  std::string once;
  encode_method(once, m);
  Method again;
  check(decode_method(once, again, ec), "a re-encoded method decodes");
  std::string twice;
  encode_method(twice, again);
  check(once == twice, "decode -> encode -> decode is stable for methods");
  check(class_id_of(again) == class_id_of(m) && method_id_of(again) == method_id_of(m), "same method");
  Method other;
  std::error_code prefix_ec;
  check(!decode_method(payload.substr(0, payload.size() - 1), other, prefix_ec),
        "a truncated method decodes");
  check(!decode_method(payload.substr(0, payload.size() / 2), other, prefix_ec), "half a method decodes");
  check(!decode_method(std::string(payload) + '\0', other, prefix_ec),
        "a method with a trailing byte decodes");
}

void fuzz_header(std::string_view payload) {
  ContentHeader h;
  std::error_code ec;
  decode_content_header(payload, h, ec);
  if (ec) return check_failure(ec);
  std::string once;
  encode_content_header(once, h);
  ContentHeader again;
  decode_content_header(once, again, ec);
  check(!ec, "a re-encoded content header decodes");
  std::string twice;
  encode_content_header(twice, again);
  check(once == twice, "decode -> encode -> decode is stable for content headers");
}

template <class Value, class Decode, class Encode>
void fuzz_field(std::string_view bytes, Decode decode, Encode encode) {
  Value value;
  std::error_code ec;
  std::string_view in = bytes;
  decode(in, value, ec);
  if (ec) return check_failure(ec);
  check(bytes.size() >= 4, "a table or array shorter than its length decoded");
  const std::uint32_t announced = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[0])) << 24 |
                                  static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[1])) << 16 |
                                  static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[2])) << 8 |
                                  static_cast<unsigned char>(bytes[3]);
  check(bytes.size() - in.size() == 4 + std::size_t{announced}, "consumed other than the announced length");
  std::string once;
  encode(once, value);
  std::string_view rest = once;
  Value again;
  decode(rest, again, ec);
  check(!ec && rest.empty(), "a re-encoded table or array decodes whole");
  // NaN floats compare unequal to themselves, so compare the bytes.
  std::string twice;
  encode(twice, again);
  check(once == twice, "decode -> encode -> decode is stable for tables and arrays");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] & 3) {
    case 0: fuzz_method(payload); break;
    case 1: fuzz_header(payload); break;
    case 2:
      fuzz_field<FieldTable>(payload, decode_field_table,
                             [](std::string& out, const FieldTable& t) { encode_field_table(out, t); });
      break;
    case 3:
      fuzz_field<FieldArray>(payload, decode_field_array,
                             [](std::string& out, const FieldArray& a) { encode_field_array(out, a); });
      break;
  }
  return 0;
}
