// What the HTTP request and response fuzzers share: limits and chunk boundaries derived from the
// input's first bytes, the invariant check, and the size of a parsed head's fields.
#pragma once

#include <cstdint>
#include <vector>

#include <fern/http/headers.hpp>
#include <fern/http/message_parser.hpp>

#include "fuzz_check.hpp"

namespace fern::http::fuzz {

inline ParserLimits limits_from(std::uint8_t bits) {
  ParserLimits limits;
  if (bits & 1) limits.max_start_line = 40;
  if (bits & 2) limits.max_header_block = 200;
  if (bits & 4) limits.max_header_count = 3;
  if (bits & 8) limits.max_body = 50;
  if (bits & 16) limits.max_chunk_line = 12;
  return limits;
}

// Piece boundaries from a small xorshift generator: pieces of 1..64 bytes.
inline std::vector<std::size_t> cuts_from(std::uint8_t seed, std::size_t size) {
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

using fern::fuzz::check;

inline std::size_t head_bytes(Headers fields) {
  std::size_t n = 0;
  for (const auto& f : fields) n += f.name.size() + f.value.size();
  return n;
}

}  // namespace fern::http::fuzz
