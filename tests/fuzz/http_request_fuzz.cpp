// Fuzzes RequestParser. Input: byte 0 picks limits (small ones reach every limit path) and whether
// EOF follows, byte 1 seeds the chunking, the rest is the byte stream a server receives.
// Invariants: no crash or sanitizer report; the same transcript (heads, bodies, trailers, verdict)
// whether the stream arrives whole, in pieces of seeded sizes, or byte by byte; and memory bounded by
// the limits (head fields within max_header_block and max_header_count, nothing buffered beyond what
// was fed).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <fern/http/request_parser.hpp>

#include "../unit/http/parser_transcript.hpp"

namespace {

using fern::http::Headers;
using fern::http::ParseEvent;
using fern::http::ParserLimits;
using fern::http::RequestParser;

ParserLimits limits_from(std::uint8_t bits) {
  ParserLimits limits;
  if (bits & 1) limits.max_start_line = 40;
  if (bits & 2) limits.max_header_block = 200;
  if (bits & 4) limits.max_header_count = 3;
  if (bits & 8) limits.max_body = 50;
  if (bits & 16) limits.max_chunk_line = 12;
  return limits;
}

// Piece boundaries from a small xorshift generator: pieces of 1..64 bytes.
std::vector<std::size_t> cuts_from(std::uint8_t seed, std::size_t size) {
  std::vector<std::size_t> cuts;
  std::uint32_t state = 0x9e3779b9u ^ seed;
  for (std::size_t at = 0;;) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    at += 1 + state % 64;
    if (at >= size) break;
    cuts.push_back(at);
  }
  return cuts;
}

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

std::size_t head_bytes(Headers fields) {
  std::size_t n = 0;
  for (const auto& f : fields) n += f.name.size() + f.value.size();
  return n;
}

std::string run(std::string_view input, const ParserLimits& limits, std::span<const std::size_t> cuts,
                bool eof) {
  RequestParser parser(limits);
  return fern::http::testing::transcript(parser, input, cuts, eof, [&](ParseEvent event) {
    check(parser.buffered().size() <= input.size(), "buffered more than fed");
    if (event == ParseEvent::headers_complete) {
      const auto head = parser.request();
      check(head.headers.size() <= limits.max_header_count, "header count over the limit");
      check(head_bytes(head.headers) + head.target.size() <= limits.max_header_block, "head over the limit");
      check(head.method.size() + head.target.size() <= limits.max_start_line, "request line over the limit");
    }
    if (event == ParseEvent::body) check(!parser.body().empty(), "empty body event");
    if (event == ParseEvent::message_complete) {
      check(parser.trailers().size() <= limits.max_header_count, "trailer count over the limit");
    }
    if (event == ParseEvent::error)
      check(parser.error_status() >= 400 && parser.error_status() <= 505, "status");
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const ParserLimits limits = limits_from(data[0]);
  const bool eof = (data[0] & 32) == 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);

  const std::string whole = run(input, limits, {}, eof);
  const std::vector<std::size_t> cuts = cuts_from(data[1], input.size());
  const std::string pieces = run(input, limits, cuts, eof);
  if (pieces != whole) {
    std::fprintf(stderr, "whole:\n%s\npieces:\n%s\n", whole.c_str(), pieces.c_str());
    std::abort();
  }
  if (input.size() <= 512) {
    std::vector<std::size_t> every(input.size());
    for (std::size_t i = 0; i < every.size(); ++i) every[i] = i;
    const std::string bytewise = run(input, limits, every, eof);
    if (bytewise != whole) {
      std::fprintf(stderr, "whole:\n%s\nbyte by byte:\n%s\n", whole.c_str(), bytewise.c_str());
      std::abort();
    }
  }
  return 0;
}
