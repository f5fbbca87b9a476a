// libFuzzer target for the Redis reply parser. Input: two control bytes, then the stream. The control
// bytes seed the chunk sizes of a second parse and pick the limits. Invariants checked:
//   * no crash, leak or undefined behaviour (ASan, UBSan, LeakSanitizer);
//   * the stream parsed in one chunk and split into chunks (through feed and through prepare/commit)
//     gives the same replies and the same failure, with the same offset and message;
//   * a failed parser stays failed whatever it is fed next;
//   * every reply can be walked, printed, copied and compared to its copy, and a string reply's
//     take_string() gives its as_string();
//   * the string values of each reply, encoded as a command, parse back to the same words.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fern/clients/redis/proto/command_writer.hpp"
#include "fern/clients/redis/proto/reply_parser.hpp"
#include "fuzz_check.hpp"

namespace {

using fern::redis::Kind;
using fern::redis::ParserLimits;
using fern::redis::Reply;
using fern::redis::ReplyParser;
using fern::redis::ReplyView;

using fern::fuzz::check;

struct Outcome {
  std::vector<Reply> replies;
  std::error_code error;
  std::uint64_t error_offset = 0;
  std::string message;
};

enum class Feeding { whole, chunks, prepare_commit };

// Small deterministic generator for chunk sizes.
struct ChunkSizes {
  std::uint32_t state;
  std::size_t max;
  std::size_t next() {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return 1 + state % max;
  }
};

void drain(ReplyParser& parser, Outcome& out) {
  std::error_code ec;
  while (auto reply = parser.next(ec)) out.replies.push_back(std::move(*reply));
}

Outcome parse(std::string_view input, const ParserLimits& limits, Feeding feeding, ChunkSizes sizes) {
  ReplyParser parser(limits);
  Outcome out;
  for (std::size_t at = 0; at < input.size();) {
    std::size_t n = feeding == Feeding::whole ? input.size() : std::min(sizes.next(), input.size() - at);
    if (feeding == Feeding::prepare_commit) {
      std::span<char> space = parser.prepare(n);
      check(space.size() >= n, "prepare gave less than asked");
      std::copy_n(input.data() + at, n, space.data());
      parser.commit(n);
    } else {
      parser.feed(input.substr(at, n));
    }
    at += n;
    drain(parser, out);
    check(parser.offset() <= at, "parser consumed bytes it was not given");
  }
  out.error = parser.error();
  out.error_offset = parser.error_offset();
  out.message = parser.error_message();
  if (parser.failed()) {
    check(out.error_offset < input.size(), "error offset past the input");
    parser.feed("+OK\r\n");
    std::error_code ec;
    check(!parser.next(ec).has_value() && ec == out.error, "a failed parser produced a reply");
    check(parser.failed() && !parser.idle(), "a failed parser recovered by itself");
  } else if (parser.idle()) {
    check(parser.offset() == input.size(), "idle parser did not consume everything");
  }
  return out;
}

// Touches every accessor that fits the node's kind; collects string values.
void walk(const ReplyView& reply, std::vector<std::string_view>& strings, int depth) {
  check(depth <= 2 * 64, "walk deeper than the limits allow");  // attributes and values both nest
  if (auto attribute = reply.attribute()) {
    check(attribute->kind() == Kind::attribute, "attribute of the wrong kind");
    walk(*attribute, strings, depth + 1);
  }
  switch (reply.kind()) {
    case Kind::integer: (void)reply.as_integer(); break;
    case Kind::double_: (void)reply.as_double(); break;
    case Kind::boolean: (void)reply.as_boolean(); break;
    case Kind::verbatim_string:
      check(reply.verbatim_format().size() == 3, "verbatim format size");
      [[fallthrough]];
    case Kind::simple_string:
    case Kind::bulk_string:
    case Kind::error:
    case Kind::big_number: strings.push_back(reply.as_string()); break;
    case Kind::map:
    case Kind::attribute: {
      std::size_t pairs = 0;
      for (auto entry : reply.entries()) {
        (void)entry;
        ++pairs;
      }
      check(pairs * 2 == reply.elements().size(), "map pairs and elements disagree");
      [[fallthrough]];
    }
    case Kind::array:
    case Kind::set:
    case Kind::push:
      for (ReplyView element : reply.elements()) walk(element, strings, depth + 1);
      break;
    case Kind::nil: break;
  }
}

void check_reply(const Reply& reply) {
  std::vector<std::string_view> strings;
  walk(reply, strings, 0);
  (void)reply.to_string();
  Reply copy = reply;
  check(copy == reply, "a copy differs from its original");
  if (copy.is_string()) {
    const std::string text(copy.as_string());
    check(std::move(copy).take_string() == text, "take_string() differs from as_string()");
    check(copy.is_nil(), "take_string() left something behind");  // NOLINT(bugprone-use-after-move)
  }
  if (strings.empty()) return;

  std::string command;
  fern::redis::encode_command(command, strings);
  ReplyParser parser;
  parser.feed(command);
  std::optional<Reply> words = parser.next();
  check(words.has_value() && parser.idle(), "an encoded command did not parse back");
  check(words->elements().size() == strings.size(), "encoded command lost words");
  for (std::size_t i = 0; i < strings.size(); ++i) {
    check((*words)[i].as_string() == strings[i], "encoded command changed a word");
  }
}

void check_same(const Outcome& a, const Outcome& b, const char* how) {
  if (a.replies.size() != b.replies.size() || a.error != b.error || a.error_offset != b.error_offset ||
      a.message != b.message) {
    std::fprintf(stderr, "%s: %zu vs %zu replies; '%s' vs '%s'\n", how, a.replies.size(), b.replies.size(),
                 a.message.c_str(), b.message.c_str());
    std::abort();
  }
  for (std::size_t i = 0; i < a.replies.size(); ++i) check(a.replies[i] == b.replies[i], how);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t seed = data[0];
  const std::uint8_t shape = data[1];
  std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);

  // Small limits, so the fuzzer reaches them; the low bits of `shape` vary them.
  ParserLimits limits;
  limits.max_bulk_length = std::uint64_t{1} << (4 + shape % 12);  // up to 32 KiB: cheap to reserve
  limits.max_depth = 1 + (shape >> 4) * 4;
  limits.max_aggregate_elements = 64 + seed;
  limits.max_line_length = 16 + shape * 4u;

  ChunkSizes sizes{0x9e3779b9u ^ (seed * 2654435761u), 1u + seed % 32};
  Outcome whole = parse(input, limits, Feeding::whole, sizes);
  check_same(whole, parse(input, limits, Feeding::chunks, sizes), "one chunk vs chunks");
  check_same(whole, parse(input, limits, Feeding::prepare_commit, sizes), "one chunk vs prepare/commit");
  if (input.size() <= 256) {
    check_same(whole, parse(input, limits, Feeding::chunks, ChunkSizes{1, 1}), "one chunk vs byte by byte");
  }
  for (const Reply& reply : whole.replies) check_reply(reply);
  return 0;
}
