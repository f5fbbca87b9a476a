#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "fern/base/error.hpp"
#include "fern/clients/redis/proto/reply_parser.hpp"

namespace fern::redis {
namespace {

// Feeds `bytes` in the given chunk sizes (the rest in one chunk), collecting every reply.
std::vector<Reply> parse_in_chunks(ReplyParser& parser, std::string_view bytes,
                                   const std::vector<std::size_t>& cuts) {
  std::vector<Reply> replies;
  auto drain = [&] {
    std::error_code ec;
    while (auto reply = parser.next(ec)) replies.push_back(std::move(*reply));
  };
  std::size_t at = 0;
  for (std::size_t size : cuts) {
    size = std::min(size, bytes.size() - at);
    parser.feed(bytes.substr(at, size));
    at += size;
    drain();
  }
  parser.feed(bytes.substr(at));
  drain();
  return replies;
}

std::vector<Reply> parse_all(std::string_view bytes, const ParserLimits& limits = {}) {
  ReplyParser parser(limits);
  std::vector<Reply> replies = parse_in_chunks(parser, bytes, {});
  EXPECT_FALSE(parser.failed()) << parser.error_message();
  return replies;
}

Reply parse_one(std::string_view bytes) {
  std::vector<Reply> replies = parse_all(bytes);
  EXPECT_EQ(replies.size(), 1u) << bytes;
  return replies.empty() ? Reply{} : replies.front();
}

std::string printed(std::string_view bytes) { return parse_one(bytes).to_string(); }

struct Failure {
  std::error_code code;
  std::uint64_t offset = 0;
  std::string message;
  std::size_t replies_before = 0;
};

Failure parse_failure(std::string_view bytes, const ParserLimits& limits = {},
                      std::vector<std::size_t> cuts = {}) {
  ReplyParser parser(limits);
  Failure f;
  f.replies_before = parse_in_chunks(parser, bytes, cuts).size();
  f.code = parser.error();
  f.offset = parser.error_offset();
  f.message = parser.error_message();
  return f;
}

TEST(RedisReplyParser, Resp2Scalars) {
  EXPECT_EQ(printed("+OK\r\n"), R"(+"OK")");
  EXPECT_EQ(printed("-ERR unknown command 'FOO'\r\n"), R"(-"ERR unknown command 'FOO'")");
  EXPECT_EQ(parse_one(":0\r\n").as_integer(), 0);
  EXPECT_EQ(parse_one(":-42\r\n").as_integer(), -42);
  EXPECT_EQ(parse_one(":+7\r\n").as_integer(), 7);
  EXPECT_EQ(parse_one(":9223372036854775807\r\n").as_integer(), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(parse_one(":-9223372036854775808\r\n").as_integer(), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(parse_one("$5\r\nhello\r\n").as_string(), "hello");
  EXPECT_EQ(parse_one("$0\r\n\r\n").as_string(), "");
  EXPECT_EQ(parse_one("$-1\r\n").kind(), Kind::nil);
  EXPECT_EQ(parse_one("*-1\r\n").kind(), Kind::nil);
  EXPECT_EQ(parse_one("+\r\n").as_string(), "");
}

TEST(RedisReplyParser, BulkStringsAreBinarySafe) {
  std::string body("a\r\nb\0c\r\n$3\r\n", 12);
  std::string wire = "$" + std::to_string(body.size()) + "\r\n" + body + "\r\n";
  Reply reply = parse_one(wire);
  EXPECT_EQ(reply.kind(), Kind::bulk_string);
  EXPECT_EQ(reply.as_string(), body);
}

TEST(RedisReplyParser, Resp2Arrays) {
  Reply reply = parse_one("*3\r\n$3\r\nfoo\r\n:1\r\n*2\r\n+a\r\n$-1\r\n");
  EXPECT_EQ(reply.to_string(), R"(["foo", 1, [+"a", nil]])");
  ASSERT_EQ(reply.elements().size(), 3u);
  EXPECT_EQ(reply[2][0].as_string(), "a");
  EXPECT_TRUE(reply[2][1].is_nil());
  EXPECT_EQ(printed("*0\r\n"), "[]");
}

TEST(RedisReplyParser, Resp3Scalars) {
  EXPECT_EQ(parse_one("_\r\n").kind(), Kind::nil);
  EXPECT_EQ(parse_one(",3.141\r\n").as_double(), 3.141);
  EXPECT_EQ(parse_one(",-2\r\n").as_double(), -2.0);
  EXPECT_EQ(parse_one(",+1.5e3\r\n").as_double(), 1500.0);
  EXPECT_EQ(parse_one(",inf\r\n").as_double(), std::numeric_limits<double>::infinity());
  EXPECT_EQ(parse_one(",-inf\r\n").as_double(), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(parse_one(",nan\r\n").as_double()));
  EXPECT_TRUE(parse_one("#t\r\n").as_boolean());
  EXPECT_FALSE(parse_one("#f\r\n").as_boolean());
  Reply big = parse_one("(3492890328409238509324850943850943825024385\r\n");
  EXPECT_EQ(big.kind(), Kind::big_number);
  EXPECT_EQ(big.as_string(), "3492890328409238509324850943850943825024385");
  EXPECT_EQ(parse_one("(-12\r\n").as_string(), "-12");
  Reply verbatim = parse_one("=15\r\ntxt:Some string\r\n");
  EXPECT_EQ(verbatim.kind(), Kind::verbatim_string);
  EXPECT_EQ(verbatim.verbatim_format(), "txt");
  EXPECT_EQ(verbatim.as_string(), "Some string");
  Reply blob_error = parse_one("!21\r\nSYNTAX invalid syntax\r\n");
  EXPECT_TRUE(blob_error.is_error());
  EXPECT_EQ(blob_error.as_string(), "SYNTAX invalid syntax");
}

TEST(RedisReplyParser, Resp3Aggregates) {
  Reply map = parse_one("%2\r\n+first\r\n:1\r\n$6\r\nsecond\r\n#t\r\n");
  EXPECT_EQ(map.to_string(), R"({+"first": 1, "second": true})");
  EXPECT_EQ(map.entries().size(), 2u);
  ASSERT_TRUE(map.find("second").has_value());
  EXPECT_TRUE(map.find("second")->as_boolean());
  EXPECT_EQ(printed("~3\r\n:1\r\n:2\r\n:3\r\n"), "~[1, 2, 3]");
  EXPECT_EQ(printed(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"), R"(>["message", "ch", "hi"])");
  EXPECT_EQ(printed("%0\r\n"), "{}");
  EXPECT_EQ(printed("~0\r\n"), "~[]");
}

TEST(RedisReplyParser, AttributesAnnotateTheFollowingValue) {
  // An attribute before the whole reply, and one before an element.
  Reply reply = parse_one(
      "|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n"
      "*2\r\n:2039123\r\n|1\r\n+ttl\r\n:3600\r\n:9543892\r\n");
  EXPECT_EQ(reply.kind(), Kind::array);
  ASSERT_TRUE(reply.attribute().has_value());
  EXPECT_EQ(reply.attribute()->kind(), Kind::attribute);
  ASSERT_TRUE(reply.attribute()->find("key-popularity"));
  EXPECT_EQ(reply.attribute()->find("key-popularity")->find("b")->as_double(), 0.0012);
  EXPECT_FALSE(reply[0].attribute().has_value());
  ASSERT_TRUE(reply[1].attribute().has_value());
  EXPECT_EQ(reply[1].attribute()->find("ttl")->as_integer(), 3600);
  EXPECT_EQ(reply[1].as_integer(), 9543892);
  EXPECT_EQ(reply.to_string(),
            R"(|{+"key-popularity": {"a": 0.1923, "b": 0.0012}}| [2039123, |{+"ttl": 3600}| 9543892])");
  // An empty attribute still annotates.
  EXPECT_EQ(printed("|0\r\n:1\r\n"), "|{}| 1");
}

TEST(RedisReplyParser, ManyRepliesInOneChunk) {
  std::string wire;
  for (int i = 0; i < 1000; ++i) {
    wire += ":" + std::to_string(i) + "\r\n";
    wire += "$" + std::to_string(std::to_string(i).size()) + "\r\n" + std::to_string(i) + "\r\n";
  }
  std::vector<Reply> replies = parse_all(wire);
  ASSERT_EQ(replies.size(), 2000u);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(replies[2 * i].as_integer(), i);
    EXPECT_EQ(replies[2 * i + 1].as_string(), std::to_string(i));
  }
}

// Every kind, nested, with attributes, binary bulk bodies and an error, followed by a second reply.
constexpr std::string_view kComposite =
    "*13\r\n+OK\r\n-ERR "
    "bad\r\n:-17\r\n$4\r\na\r\nb\r\n$-1\r\n_\r\n,2.5\r\n#t\r\n(123456789012345678901234\r\n"
    "=8\r\nmkd:# hi\r\n%1\r\n$1\r\nk\r\n~2\r\n:1\r\n|1\r\n+meta\r\n:0\r\n:2\r\n!5\r\nOOPS!\r\n"
    "*2\r\n>1\r\n*0\r\n*-1\r\n"
    "$3\r\nend\r\n";
constexpr std::string_view kCompositePrinted =
    R"([+"OK", -"ERR bad", -17, "a\r\nb", nil, nil, 2.5, true, 123456789012345678901234n, mkd:"# hi", )"
    R"({"k": ~[1, |{+"meta": 0}| 2]}, -"OOPS!", [>[[]], nil]])";

TEST(RedisReplyParser, CompositeReplyInOneChunk) {
  std::vector<Reply> replies = parse_all(kComposite);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].to_string(), kCompositePrinted);
  EXPECT_EQ(replies[1].as_string(), "end");
}

TEST(RedisReplyParser, CompositeReplyFedByteByByte) {
  ReplyParser parser;
  std::vector<Reply> replies =
      parse_in_chunks(parser, kComposite, std::vector<std::size_t>(kComposite.size(), 1));
  ASSERT_FALSE(parser.failed()) << parser.error_message();
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].to_string(), kCompositePrinted);
  EXPECT_EQ(replies[1].as_string(), "end");
  EXPECT_TRUE(parser.idle());
  EXPECT_EQ(parser.offset(), kComposite.size());
}

TEST(RedisReplyParser, CompositeReplySplitAtEveryPoint) {
  const std::vector<Reply> whole = parse_all(kComposite);
  for (std::size_t cut = 0; cut <= kComposite.size(); ++cut) {
    ReplyParser parser;
    std::vector<Reply> replies = parse_in_chunks(parser, kComposite, {cut});
    ASSERT_FALSE(parser.failed()) << "cut at " << cut << ": " << parser.error_message();
    ASSERT_EQ(replies.size(), whole.size()) << "cut at " << cut;
    for (std::size_t i = 0; i < replies.size(); ++i) EXPECT_EQ(replies[i], whole[i]) << "cut at " << cut;
  }
}

TEST(RedisReplyParser, PrepareCommitInRandomChunks) {
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    ReplyParser parser;
    std::vector<Reply> replies;
    std::size_t at = 0;
    while (at < kComposite.size()) {
      std::size_t want = std::uniform_int_distribution<std::size_t>(1, 9)(rng);
      std::span<char> space = parser.prepare(want);
      ASSERT_GE(space.size(), want);
      std::size_t n = std::min({want, space.size(), kComposite.size() - at});
      std::copy_n(kComposite.data() + at, n, space.data());
      parser.commit(n);
      at += n;
      while (auto reply = parser.next()) replies.push_back(std::move(*reply));
    }
    ASSERT_EQ(replies.size(), 2u);
    EXPECT_EQ(replies[0].to_string(), kCompositePrinted);
  }
}

TEST(RedisReplyParser, CommitBeyondPreparedSpaceIsRejected) {
  ReplyParser parser;
  std::span<char> space = parser.prepare(8);
  try {
    parser.commit(space.size() + 1);
    FAIL() << "commit past the prepared space was accepted";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), Errc::invalid_argument);
  }
}

TEST(RedisReplyParser, IdleOnlyBetweenReplies) {
  ReplyParser parser;
  EXPECT_TRUE(parser.idle());
  parser.feed("*2\r\n:1\r\n");
  EXPECT_FALSE(parser.next().has_value());
  EXPECT_FALSE(parser.idle());
  EXPECT_EQ(parser.buffered(), 0u);
  parser.feed(":2\r\n");
  EXPECT_TRUE(parser.next().has_value());
  EXPECT_TRUE(parser.idle());
}

TEST(RedisReplyParser, LargeBulkStringStreamsThroughASmallBuffer) {
  const std::size_t size = 8u << 20;
  std::string body(size, '\0');
  for (std::size_t i = 0; i < size; ++i) body[i] = static_cast<char>(i * 131 % 251);
  const std::string wire = "$" + std::to_string(size) + "\r\n" + body + "\r\n+after\r\n";

  ReplyParser parser;
  std::vector<Reply> replies;
  constexpr std::size_t kChunk = 64 * 1024;
  for (std::size_t at = 0; at < wire.size(); at += kChunk) {
    parser.feed(std::string_view(wire).substr(at, kChunk));
    while (auto reply = parser.next()) replies.push_back(std::move(*reply));
    // The body moves into the reply as it arrives; the input buffer never holds more than a line.
    EXPECT_LE(parser.buffered(), 16u);
  }
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].as_string().size(), size);
  EXPECT_TRUE(replies[0].as_string() == body);
  EXPECT_EQ(replies[1].as_string(), "after");

  std::vector<Reply> at_once = parse_all(wire);
  ASSERT_EQ(at_once.size(), 2u);
  EXPECT_TRUE(at_once[0].as_string() == body);
}

std::string nested_arrays(std::size_t depth) {
  std::string wire;
  for (std::size_t i = 0; i < depth; ++i) wire += "*1\r\n";
  return wire + ":7\r\n";
}

TEST(RedisReplyParser, NestingUpToMaxDepth) {
  ParserLimits limits;
  limits.max_depth = 16;
  std::vector<Reply> replies = parse_all(nested_arrays(16), limits);
  ASSERT_EQ(replies.size(), 1u);
  ReplyView view = replies[0];
  for (int i = 0; i < 16; ++i) view = view[0];
  EXPECT_EQ(view.as_integer(), 7);

  ParserLimits scalars_only;
  scalars_only.max_depth = 0;
  EXPECT_EQ(parse_all(":1\r\n", scalars_only).size(), 1u);

  EXPECT_EQ(parse_all(nested_arrays(ParserLimits{}.max_depth)).size(), 1u);
}

TEST(RedisReplyParser, NestingPastMaxDepthFails) {
  ParserLimits limits;
  limits.max_depth = 16;
  Failure f = parse_failure(nested_arrays(17), limits);
  EXPECT_EQ(f.code, Errc::limit_exceeded);
  EXPECT_EQ(f.offset, 16u * 4);  // the type byte of the 17th array
  EXPECT_NE(f.message.find("max_depth (16)"), std::string::npos) << f.message;

  Failure by_default = parse_failure(nested_arrays(ParserLimits{}.max_depth + 1));
  EXPECT_EQ(by_default.code, Errc::limit_exceeded);

  ParserLimits scalars_only;
  scalars_only.max_depth = 0;
  EXPECT_EQ(parse_failure("*0\r\n", scalars_only).code, Errc::limit_exceeded);

  // A million nested arrays, fed at once: a clean error, no deep recursion anywhere.
  Failure deep = parse_failure(nested_arrays(1'000'000));
  EXPECT_EQ(deep.code, Errc::limit_exceeded);
}

TEST(RedisReplyParser, VeryDeepRepliesAreWalkedWithoutRecursion) {
  // With the limit raised, a reply 200,000 levels deep is parsed, printed, compared and destroyed
  // without growing the stack per level (a greenlet's stack is small).
  ParserLimits limits;
  limits.max_depth = 200'000;
  std::vector<Reply> replies = parse_all(nested_arrays(200'000), limits);
  ASSERT_EQ(replies.size(), 1u);
  std::string printed = replies[0].to_string();
  EXPECT_EQ(printed.size(), 200'000u * 2 + 1);
  EXPECT_EQ(printed.substr(199'998, 5), "[[7]]");
  Reply copy = replies[0];
  EXPECT_EQ(copy, replies[0]);
}

// --- random replies ------------------------------------------------------------------------------

struct Generated {
  std::string wire;
  std::string printed;
};

std::string random_word(std::mt19937& rng) {
  static constexpr std::string_view kLetters = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string word(std::uniform_int_distribution<std::size_t>(0, 12)(rng), 'x');
  for (char& c : word) c = kLetters[std::uniform_int_distribution<std::size_t>(0, kLetters.size() - 1)(rng)];
  return word;
}

void generate(std::mt19937& rng, int depth, Generated& out);

void generate_children(std::mt19937& rng, int depth, Generated& out, char type, const char* open,
                       bool pairs) {
  std::size_t n = std::uniform_int_distribution<std::size_t>(0, 4)(rng);
  out.wire += type + std::to_string(n) + "\r\n";
  out.printed += open;
  for (std::size_t i = 0; i < n * (pairs ? 2 : 1); ++i) {
    if (i > 0) out.printed += pairs && i % 2 == 1 ? ": " : ", ";
    generate(rng, depth + 1, out);
  }
  out.printed += pairs ? "}" : "]";
}

void generate(std::mt19937& rng, int depth, Generated& out) {
  if (depth < 3 && std::uniform_int_distribution<int>(0, 9)(rng) == 0) {
    out.printed += "|";
    generate_children(rng, depth, out, '|', "{", true);
    out.printed += "| ";
  }
  std::string word = random_word(rng);
  switch (std::uniform_int_distribution<int>(0, depth >= 3 ? 7 : 11)(rng)) {
    case 0: {
      auto n = std::uniform_int_distribution<std::int64_t>(std::numeric_limits<std::int64_t>::min())(rng);
      out.wire += ":" + std::to_string(n) + "\r\n";
      out.printed += std::to_string(n);
      break;
    }
    case 1:
      out.wire += "$" + std::to_string(word.size()) + "\r\n" + word + "\r\n";
      out.printed += '"' + word + '"';
      break;
    case 2:
      out.wire += "+" + word + "\r\n";
      out.printed += "+\"" + word + '"';
      break;
    case 3:
      out.wire += "-ERR " + word + "\r\n";
      out.printed += "-\"ERR " + word + '"';
      break;
    case 4:
      out.wire += "_\r\n";
      out.printed += "nil";
      break;
    case 5:
      out.wire += ",-0.25\r\n";
      out.printed += "-0.25";
      break;
    case 6:
      out.wire += "#t\r\n";
      out.printed += "true";
      break;
    case 7:
      out.wire += "(9" + std::to_string(word.size()) + "\r\n";
      out.printed += "9" + std::to_string(word.size()) + "n";
      break;
    case 8: generate_children(rng, depth, out, '*', "[", false); break;
    case 9: generate_children(rng, depth, out, '%', "{", true); break;
    case 10: generate_children(rng, depth, out, '~', "~[", false); break;
    default: generate_children(rng, depth, out, '>', ">[", false); break;
  }
}

TEST(RedisReplyParser, RandomRepliesInRandomChunks) {
  std::mt19937 rng(20261123);
  std::string wire;
  std::vector<std::string> expected;
  for (int i = 0; i < 300; ++i) {
    Generated g;
    generate(rng, 0, g);
    wire += g.wire;
    expected.push_back(g.printed);
  }
  for (int round = 0; round < 20; ++round) {
    std::vector<std::size_t> cuts;
    for (std::size_t total = 0; total < wire.size();) {
      cuts.push_back(std::uniform_int_distribution<std::size_t>(1, 64)(rng));
      total += cuts.back();
    }
    ReplyParser parser;
    std::vector<Reply> replies = parse_in_chunks(parser, wire, cuts);
    ASSERT_FALSE(parser.failed()) << parser.error_message();
    ASSERT_EQ(replies.size(), expected.size());
    for (std::size_t i = 0; i < replies.size(); ++i)
      ASSERT_EQ(replies[i].to_string(), expected[i]) << "reply " << i;
  }
}

}  // namespace
}  // namespace fern::redis
