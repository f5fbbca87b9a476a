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
#include <string>
#include <string_view>

#include "amqp_fuzz_support.hpp"
#include "fern/base/error.hpp"

namespace {

using namespace fern::amqp;
using fuzz::check;

void check_failure(const std::error_code& ec) {
  check(ec == fern::Errc::protocol_error, "a decoder failed with something other than protocol_error");
}

void fuzz_method(std::string_view payload) {
  std::error_code ec;
  if (!fuzz::round_trip_method(payload, ec)) return check_failure(ec);
  Method other;
  std::error_code prefix_ec;
  check(!decode_method(payload.substr(0, payload.size() - 1), other, prefix_ec),
        "a truncated method decodes");
  check(!decode_method(payload.substr(0, payload.size() / 2), other, prefix_ec), "half a method decodes");
  check(!decode_method(std::string(payload) + '\0', other, prefix_ec),
        "a method with a trailing byte decodes");
}

void fuzz_header(std::string_view payload) {
  std::error_code ec;
  if (!fuzz::round_trip_header(payload, ec)) check_failure(ec);
}

// A table or array consumes exactly the length its first four bytes announce.
void fuzz_field(std::string_view bytes, bool (*round_trip)(std::string_view&, std::error_code&)) {
  std::string_view in = bytes;
  std::error_code ec;
  if (!round_trip(in, ec)) return check_failure(ec);
  check(bytes.size() >= 4, "a table or array shorter than its length decoded");
  const std::uint32_t announced = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[0])) << 24 |
                                  static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[1])) << 16 |
                                  static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[2])) << 8 |
                                  static_cast<unsigned char>(bytes[3]);
  check(bytes.size() - in.size() == 4 + std::size_t{announced}, "consumed other than the announced length");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] & 3) {
    case 0: fuzz_method(payload); break;
    case 1: fuzz_header(payload); break;
    case 2: fuzz_field(payload, fuzz::round_trip_table); break;
    case 3: fuzz_field(payload, fuzz::round_trip_array); break;
  }
  return 0;
}
