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
#include <string>
#include <string_view>
#include <vector>

#include "amqp_fuzz_support.hpp"
#include "fern/clients/amqp/proto/frame_parser.hpp"

namespace {

using namespace fern::amqp;
using fuzz::check;

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
    std::error_code ec;
    if (f[0] == static_cast<char>(FrameType::method)) fuzz::round_trip_method(payload, ec);
    if (f[0] == static_cast<char>(FrameType::header)) fuzz::round_trip_header(payload, ec);
  }
  std::string_view table = stream;
  std::error_code ec;
  fuzz::round_trip_table(table, ec);
  return 0;
}
