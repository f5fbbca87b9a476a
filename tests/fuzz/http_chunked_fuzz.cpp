// Fuzzes the chunked body decoding of the HTTP parser on its own: a fixed request head announcing
// Transfer-Encoding: chunked, then the fuzzed bytes as the body. Input: byte 0 picks limits (as the
// request fuzzer does), byte 1 seeds the chunking, the rest is the chunked body.
// Invariants: no crash or sanitizer report; the same transcript whole, in pieces and byte by byte;
// and agreement with a reference decoder written from RFC 9112 section 7.1 independently of the
// parser: it accepts exactly the chunk framings the reference accepts, with the same body bytes, and
// a body it accepts, re-encoded by the serializer in other chunk sizes, decodes to the same bytes.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <fern/http/request_parser.hpp>
#include <fern/http/serializer.hpp>

#include "../unit/http/parser_transcript.hpp"
#include "http_fuzz_support.hpp"

namespace {

using fern::http::fuzz::check;
using fern::http::fuzz::cuts_from;
using fern::http::fuzz::limits_from;

using fern::http::ParseEvent;
using fern::http::ParserLimits;
using fern::http::RequestParser;

constexpr std::string_view kHead = "POST /upload HTTP/1.1\r\nHost: f\r\nTransfer-Encoding: chunked\r\n\r\n";
// The limit of the differential runs: small enough that a fuzzed size can cross it.
constexpr std::uint64_t kMaxBody = 4096;

// --- the reference -------------------------------------------------------------------------------

bool is_tchar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}
bool is_ws(char c) { return c == ' ' || c == '\t'; }
int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text; quoted-pair = "\" ( HTAB / SP / VCHAR /
// obs-text ).
bool is_qdtext(unsigned char c) {
  return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c != 0x5c && c != 0x7f);
}
bool is_pair_char(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

// chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
// chunk-ext-val = token / quoted-string
bool extensions_ok(std::string_view s) {
  std::size_t i = 0;
  auto skip_ws = [&] {
    while (i < s.size() && is_ws(s[i])) ++i;
  };
  auto token = [&] {
    const std::size_t from = i;
    while (i < s.size() && is_tchar(s[i])) ++i;
    return i > from;
  };
  while (i < s.size()) {
    skip_ws();
    if (i == s.size() || s[i] != ';') return false;
    ++i;
    skip_ws();
    if (!token()) return false;
    // The optional "= value" may be preceded by BWS; whitespace not followed by '=' belongs to the
    // next extension's BWS and so must be followed by ';'.
    std::size_t j = i;
    while (j < s.size() && is_ws(s[j])) ++j;
    if (j == s.size() || s[j] != '=') continue;
    i = j + 1;
    skip_ws();
    if (i < s.size() && s[i] == '"') {
      ++i;
      for (;;) {
        if (i == s.size()) return false;
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '"') break;
        if (c == '\\') {
          if (i + 1 == s.size() || !is_pair_char(static_cast<unsigned char>(s[i + 1]))) return false;
          i += 2;
        } else if (is_qdtext(c)) {
          ++i;
        } else {
          return false;
        }
      }
      ++i;
    } else if (!token()) {
      return false;
    }
  }
  return true;
}

enum class Verdict { chunks_done, malformed, too_large, incomplete };

struct Reference {
  Verdict verdict = Verdict::incomplete;
  std::string body;
  std::size_t end = 0;  // just past the last-chunk line: where the trailer section starts
};

Reference decode(std::string_view in) {
  Reference ref;
  std::size_t at = 0;
  for (;;) {
    const std::size_t lf = in.find('\n', at);
    if (lf == std::string_view::npos) return ref;
    std::string_view line = in.substr(at, lf - at);
    if (line.empty() || line.back() != '\r') return ref.verdict = Verdict::malformed, ref;
    line.remove_suffix(1);
    std::size_t digits = 0;
    std::uint64_t size = 0;
    for (; digits < line.size() && hex(line[digits]) >= 0; ++digits) {
      if (size > std::numeric_limits<std::uint64_t>::max() / 16) return ref.verdict = Verdict::malformed, ref;
      size = size * 16 + static_cast<std::uint64_t>(hex(line[digits]));
    }
    if (digits == 0 || !extensions_ok(line.substr(digits))) return ref.verdict = Verdict::malformed, ref;
    if (size > kMaxBody - ref.body.size()) return ref.verdict = Verdict::too_large, ref;
    at = lf + 1;
    if (size == 0) {
      ref.end = at;
      ref.verdict = Verdict::chunks_done;
      return ref;
    }
    if (in.size() - at < size) {
      ref.body.append(in.substr(at));
      return ref;
    }
    ref.body.append(in.substr(at, size));
    at += size;
    if (at < in.size() && in[at] != '\r') return ref.verdict = Verdict::malformed, ref;
    if (at + 1 < in.size() && in[at + 1] != '\n') return ref.verdict = Verdict::malformed, ref;
    if (in.size() - at < 2) return ref;
    at += 2;
  }
}

// --- the parser ----------------------------------------------------------------------------------

struct Run {
  enum class End { complete, error, need_data } end = End::need_data;
  std::string body;
};

Run run_parser(std::string_view body, const ParserLimits& limits) {
  RequestParser parser(limits);
  std::string input(kHead);
  input.append(body);
  parser.feed(input);
  Run out;
  for (;;) {
    switch (parser.next_event()) {
      case ParseEvent::headers_complete: continue;
      case ParseEvent::body: out.body.append(parser.body()); continue;
      case ParseEvent::message_complete: out.end = Run::End::complete; return out;
      case ParseEvent::error: out.end = Run::End::error; return out;
      case ParseEvent::need_data:
      case ParseEvent::closed: return out;
    }
  }
}

void differential(std::string_view body, std::uint8_t seed) {
  ParserLimits limits;
  limits.max_body = kMaxBody;
  const Reference ref = decode(body);
  const Run got = run_parser(body, limits);
  switch (ref.verdict) {
    case Verdict::chunks_done: {
      // Whatever the trailer section holds, the body before it is the reference's.
      check(got.body == ref.body, "body differs from the reference");
      // With an empty trailer section the message must complete.
      std::string framed(body.substr(0, ref.end));
      framed += "\r\n";
      const Run closed = run_parser(framed, limits);
      check(closed.end == Run::End::complete, "a chunked body the reference accepts was refused");
      check(closed.body == ref.body, "a chunked body decoded to other bytes than the reference's");
      // Re-encoded in other chunk sizes by the serializer: the same bytes.
      std::string again;
      std::uint32_t state = 0x9e3779b9u ^ seed;
      for (std::size_t at = 0; at < ref.body.size();) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        const std::size_t n = std::min<std::size_t>(1 + state % 300, ref.body.size() - at);
        fern::http::write_chunk(again, std::string_view(ref.body).substr(at, n));
        at += n;
      }
      fern::http::write_last_chunk(again);
      const Run reencoded = run_parser(again, limits);
      check(reencoded.end == Run::End::complete && reencoded.body == ref.body, "re-encoded body differs");
      break;
    }
    case Verdict::malformed:
    case Verdict::too_large:
      check(got.end == Run::End::error, "the parser accepted a chunk framing the reference refuses");
      check(got.body == std::string_view(ref.body).substr(0, got.body.size()),
            "body differs before the error");
      break;
    case Verdict::incomplete:
      check(got.end == Run::End::need_data, "the parser ended a chunked body the reference finds incomplete");
      check(got.body == ref.body, "partial body differs from the reference");
      break;
  }
}

std::string transcript(std::string_view body, const ParserLimits& limits, std::span<const std::size_t> cuts) {
  RequestParser parser(limits);
  std::string input(kHead);
  input.append(body);
  std::vector<std::size_t> shifted;
  for (std::size_t c : cuts) shifted.push_back(c + kHead.size());
  return fern::http::testing::transcript(parser, input, shifted, true);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 2, size - 2);
  differential(body, data[1]);

  const ParserLimits limits = limits_from(data[0]);
  const std::string whole = transcript(body, limits, {});
  const std::vector<std::size_t> cuts = cuts_from(data[1], body.size());
  const std::string pieces = transcript(body, limits, cuts);
  if (pieces != whole) {
    std::fprintf(stderr, "whole:\n%s\npieces:\n%s\n", whole.c_str(), pieces.c_str());
    std::abort();
  }
  // Byte by byte is the costly run: kept to bodies that hold a few chunks.
  if (body.size() <= 256) {
    std::vector<std::size_t> every(body.size());
    for (std::size_t i = 0; i < every.size(); ++i) every[i] = i;
    const std::string bytewise = transcript(body, limits, every);
    if (bytewise != whole) {
      std::fprintf(stderr, "whole:\n%s\nbyte by byte:\n%s\n", whole.c_str(), bytewise.c_str());
      std::abort();
    }
  }
  return 0;
}
