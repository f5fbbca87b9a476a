// libFuzzer target for the AMQP codec. Input: one control byte, then a byte stream. The control
// byte picks the chunk size of a second parse and the frame_max. Invariants checked:
//   * no crash, leak or undefined behaviour (ASan, UBSan, LeakSanitizer);
//   * the stream parsed in one chunk and in small chunks gives the same frames and the same
//     failure message;
//   * a failed parser stays failed;
//   * every method or content header payload that decodes re-encodes to bytes that decode to the
//     same value and encode to the same bytes (decode -> encode -> decode is stable);
//   * the tail of the input read directly as a field table obeys the same rule.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fern/clients/amqp/proto/basic_properties.hpp"
#include "fern/clients/amqp/proto/field_table.hpp"
#include "fern/clients/amqp/proto/frame_parser.hpp"
#include "fern/clients/amqp/proto/methods.hpp"

namespace {

using namespace fern::amqp;

void check(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "invariant broken: %s\n", what);
  std::abort();
}

struct Parsed {
  std::vector<std::string> frames;  // type, channel and payload flattened
  std::string error;
};

Parsed parse(std::string_view stream, std::size_t chunk, std::uint32_t frame_max) {
  FrameParser parser(frame_max);
  Parsed out;
  for (std::size_t at = 0; at < stream.size(); at += chunk) {
    parser.feed(stream.substr(at, chunk));
    std::error_code ec;
    while (auto f = parser.next(ec)) {
      std::string flat;
      flat.push_back(static_cast<char>(f->type));
      flat.push_back(static_cast<char>(f->channel >> 8));
      flat.push_back(static_cast<char>(f->channel));
      flat.append(f->payload);
      out.frames.push_back(std::move(flat));
    }
    if (ec) {
      out.error = parser.error_message();
      check(!out.error.empty(), "an error has a message");
      std::error_code again;
      parser.feed("\x08\x00\x00\x00\x00\x00\x00\xce");
      check(!parser.next(again) && again, "a failed parser stays failed");
      break;
    }
  }
  return out;
}

void check_method(std::string_view payload) {
  Method m;
  std::error_code ec;
  if (!decode_method(payload, m, ec)) return;
  std::string once;
  encode_method(once, m);
  Method again;
  check(decode_method(once, again, ec), "a re-encoded method decodes");
  // Compared as bytes: a NaN in a field table is unequal to itself as a value.
  std::string twice;
  encode_method(twice, again);
  check(once == twice, "decode -> encode -> decode is stable for methods");
  check(class_id_of(again) == class_id_of(m) && method_id_of(again) == method_id_of(m), "same method");
}

void check_header(std::string_view payload) {
  ContentHeader h;
  std::error_code ec;
  decode_content_header(payload, h, ec);
  if (ec) return;
  std::string once;
  encode_content_header(once, h);
  ContentHeader again;
  decode_content_header(once, again, ec);
  std::string twice;
  encode_content_header(twice, again);
  check(!ec && once == twice, "decode -> encode -> decode is stable for content headers");
}

void check_table(std::string_view bytes) {
  FieldTable t;
  std::error_code ec;
  decode_field_table(bytes, t, ec);
  if (ec) return;
  std::string once;
  encode_field_table(once, t);
  std::string_view in = once;
  FieldTable again;
  decode_field_table(in, again, ec);
  // NaN floats compare unequal to themselves, so compare the bytes as well.
  std::string twice;
  encode_field_table(twice, again);
  check(!ec && in.empty() && once == twice, "decode -> encode -> decode is stable for tables");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t control = data[0];
  const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t chunk = 1 + (control & 0x0f);
  const std::uint32_t frame_max = (control & 0x10) ? 4096 : 0;
  const Parsed whole = parse(stream, stream.size() + 1, frame_max);
  const Parsed parts = parse(stream, chunk, frame_max);
  check(whole.frames == parts.frames, "chunking does not change the frames");
  check(whole.error == parts.error, "chunking does not change the failure");
  for (const std::string& f : whole.frames) {
    const std::string_view payload = std::string_view(f).substr(3);
    if (f[0] == static_cast<char>(FrameType::method)) check_method(payload);
    if (f[0] == static_cast<char>(FrameType::header)) check_header(payload);
  }
  check_table(stream);
  return 0;
}
