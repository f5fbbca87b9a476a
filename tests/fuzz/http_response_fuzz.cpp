// Fuzzes ResponseParser. Input: byte 0 picks limits (small ones reach every limit path) and whether
// EOF follows, byte 1 seeds the chunking, byte 2 the methods of four requests sent (GET, HEAD,
// CONNECT, POST: two bits each), the rest is the byte stream a client receives.
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

#include <fern/http/response_parser.hpp>

#include "../unit/http/parser_transcript.hpp"
#include "http_fuzz_support.hpp"

namespace {

using fern::http::fuzz::check;
using fern::http::fuzz::cuts_from;
using fern::http::fuzz::head_bytes;
using fern::http::fuzz::limits_from;

using fern::http::Headers;
using fern::http::ParseEvent;
using fern::http::ParserLimits;
using fern::http::ResponseParser;

std::string run(std::string_view input, const ParserLimits& limits, std::span<const std::size_t> cuts,
                bool eof, std::uint8_t methods) {
  ResponseParser parser(limits);
  for (int i = 0; i < 4; ++i) {
    static constexpr const char* kMethods[] = {"GET", "HEAD", "CONNECT", "POST"};
    parser.request_sent(kMethods[(methods >> (2 * i)) & 3]);
  }
  return fern::http::testing::transcript(parser, input, cuts, eof, [&](ParseEvent event) {
    check(parser.buffered().size() <= input.size(), "buffered more than fed");
    if (event == ParseEvent::headers_complete) {
      const auto head = parser.response();
      check(head.headers.size() <= limits.max_header_count, "header count over the limit");
      check(head_bytes(head.headers) + head.reason.size() <= limits.max_header_block, "head over the limit");
      check(head.reason.size() <= limits.max_start_line, "status line over the limit");
      check(head.status >= 100 && head.status <= 999, "status code out of range");
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
  if (size < 3) return 0;
  const ParserLimits limits = limits_from(data[0]);
  const bool eof = (data[0] & 32) == 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 3, size - 3);

  const std::string whole = run(input, limits, {}, eof, data[2]);
  const std::vector<std::size_t> cuts = cuts_from(data[1], input.size());
  const std::string pieces = run(input, limits, cuts, eof, data[2]);
  if (pieces != whole) {
    std::fprintf(stderr, "whole:\n%s\npieces:\n%s\n", whole.c_str(), pieces.c_str());
    std::abort();
  }
  if (input.size() <= 512) {
    std::vector<std::size_t> every(input.size());
    for (std::size_t i = 0; i < every.size(); ++i) every[i] = i;
    const std::string bytewise = run(input, limits, every, eof, data[2]);
    if (bytewise != whole) {
      std::fprintf(stderr, "whole:\n%s\nbyte by byte:\n%s\n", whole.c_str(), bytewise.c_str());
      std::abort();
    }
  }
  return 0;
}
