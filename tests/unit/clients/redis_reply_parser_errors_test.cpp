// ReplyParser on bytes that are not RESP and on replies that pass a limit: each gives a clear error,
// at the same byte however the input is chunked, and the parser stays failed.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "fern/base/error.hpp"
#include "fern/clients/redis/proto/reply_parser.hpp"

// Counts bytes allocated through operator new, to show that hostile declared sizes do not allocate.
namespace {
std::atomic<std::size_t> g_allocated{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocated.fetch_add(size, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace fern::redis {
namespace {

struct Failure {
  std::error_code code;
  std::uint64_t offset = 0;
  std::string message;
  std::size_t replies_before = 0;
};

// Parses `bytes` fed in chunks of `chunk` bytes (0: all at once).
Failure parse_failure(std::string_view bytes, std::size_t chunk = 0, const ParserLimits& limits = {}) {
  ReplyParser parser(limits);
  Failure f;
  if (chunk == 0) chunk = bytes.size();
  for (std::size_t at = 0; at < bytes.size(); at += chunk) {
    parser.feed(bytes.substr(at, chunk));
    std::error_code ec;
    while (parser.next(ec)) ++f.replies_before;
  }
  f.code = parser.error();
  f.offset = parser.error_offset();
  f.message = parser.error_message();
  return f;
}

struct Malformed {
  const char* name;
  std::string_view bytes;
  std::uint64_t offset;
  const char* says;  // a part of the message
};

const Malformed kMalformed[] = {
    {"unknown type byte", "?abc\r\n", 0, "unknown type byte '?'"},
    {"leading space", " +OK\r\n", 0, "unknown type byte 0x20"},
    {"streamed chunk type", ";4\r\nabcd\r\n", 0, "unknown type byte ';'"},
    {"bad type inside an array", "*2\r\n:1\r\nX\r\n", 8, "unknown type byte 'X'"},
    {"non-digit length", "$abc\r\n", 1, "bulk length 'abc' has a byte that is not a digit"},
    {"plus in a length", "$+3\r\nabc\r\n", 1, "not a digit"},
    {"empty length", "*\r\n", 1, "has no digits"},
    {"negative bulk length", "$-2\r\n", 1, "bulk length -2 is negative"},
    {"negative array length", "*-5\r\n", 1, "aggregate length -5 is negative"},
    {"map of -1", "%-1\r\n", 1, "aggregate length -1 is negative"},
    {"blob error of -1", "!-1\r\n", 1, "bulk length -1 is negative"},
    {"bulk body longer than declared", "$3\r\nabcX\r\n", 7, "bulk string of 3 bytes is not followed by CRLF"},
    {"bulk body then CR alone", "$3\r\nabc\rX", 8, "not followed by CRLF"},
    {"line feed alone", "+OK\n", 3, "line feed without a carriage return"},
    {"carriage return alone", "+OK\rX\r\n", 4, "carriage return not followed by a line feed"},
    {"non-digit in integer", ":12a\r\n", 3, "integer '12a' has a byte that is not a digit"},
    {"integer without digits", ":\r\n", 1, "has no digits"},
    {"integer sign alone", ":-\r\n", 2, "has no digits"},
    {"integer overflow", ":9223372036854775808\r\n", 1, "outside the 64-bit range"},
    {"integer underflow", ":-9223372036854775809\r\n", 1, "outside the 64-bit range"},
    {"overlong integer", ":123456789012345678901\r\n", 21, "longer than 20 bytes"},
    {"overlong length", "$000000000000000000003\r\nabc\r\n", 21, "longer than 20 bytes"},
    {"malformed double", ",1.5x\r\n", 1, "malformed double '1.5x'"},
    {"empty double", ",\r\n", 1, "malformed double"},
    {"double with two signs", ",+-1\r\n", 1, "malformed double"},
    {"boolean not t or f", "#x\r\n", 1, "boolean is not 't' or 'f'"},
    {"null with a payload", "_x\r\n", 1, "null has bytes before its CRLF"},
    {"malformed big number", "(12a\r\n", 1, "malformed big number"},
    {"verbatim too short", "=3\r\ntxt\r\n", 1, "no room for its 'fmt:' prefix"},
    {"verbatim without colon", "=5\r\ntxt-x\r\n", 7, "no ':' after its 3-byte format"},
    {"streamed string", "$?\r\n;4\r\nabcd\r\n;0\r\n", 1, "streamed RESP3 strings are not supported"},
    {"streamed aggregate", "*?\r\n:1\r\n.\r\n", 1, "streamed RESP3 aggregates are not supported"},
    {"attribute after attribute", "|0\r\n|0\r\n:1\r\n", 4, "attribute follows an attribute"},
};

TEST(RedisReplyParserErrors, MalformedInputGivesAClearErrorAtTheOffendingByte) {
  for (const Malformed& m : kMalformed) {
    SCOPED_TRACE(m.name);
    Failure f = parse_failure(m.bytes);
    EXPECT_EQ(f.code, Errc::protocol_error);
    EXPECT_EQ(f.offset, m.offset);
    EXPECT_NE(f.message.find(m.says), std::string::npos) << f.message;
    EXPECT_NE(f.message.find("at byte " + std::to_string(m.offset)), std::string::npos) << f.message;
  }
}

TEST(RedisReplyParserErrors, ChunkingDoesNotChangeTheError) {
  for (const Malformed& m : kMalformed) {
    SCOPED_TRACE(m.name);
    Failure whole = parse_failure(m.bytes);
    for (std::size_t chunk = 1; chunk <= 3; ++chunk) {
      Failure split = parse_failure(m.bytes, chunk);
      EXPECT_EQ(split.code, whole.code);
      EXPECT_EQ(split.message, whole.message);
      EXPECT_EQ(split.replies_before, whole.replies_before);
    }
  }
}

TEST(RedisReplyParserErrors, RepliesBeforeTheErrorAreDelivered) {
  Failure f = parse_failure("+OK\r\n:1\r\n$1\r\nx\r\n?", 1);
  EXPECT_EQ(f.replies_before, 3u);
  EXPECT_EQ(f.code, Errc::protocol_error);
  EXPECT_EQ(f.offset, 16u);
}

TEST(RedisReplyParserErrors, FailedParserStaysFailedUntilReset) {
  ReplyParser parser;
  parser.feed("+OK\r\n@");
  EXPECT_TRUE(parser.next().has_value());
  try {
    parser.next();
    FAIL() << "no exception for a bad type byte";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), Errc::protocol_error);
    EXPECT_NE(std::string(e.what()).find("unknown type byte '@' at byte 5"), std::string::npos) << e.what();
  }
  parser.feed("+OK\r\n");
  std::error_code ec;
  EXPECT_FALSE(parser.next(ec).has_value());
  EXPECT_EQ(ec, Errc::protocol_error);
  EXPECT_TRUE(parser.failed());
  EXPECT_FALSE(parser.idle());
  EXPECT_EQ(parser.error_offset(), 5u);

  parser.reset();
  EXPECT_FALSE(parser.failed());
  EXPECT_TRUE(parser.idle());
  parser.feed("+OK\r\n");
  auto reply = parser.next();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->as_string(), "OK");
}

TEST(RedisReplyParserErrors, IncompleteInputIsNotAnError) {
  for (std::string_view prefix :
       {"*2\r\n$3\r\nab", "$", ":12", "+OK\r", "$3\r\nabc\r", "|1\r\n+a\r\n:1\r\n"}) {
    ReplyParser parser;
    parser.feed(prefix);
    std::error_code ec;
    EXPECT_FALSE(parser.next(ec).has_value()) << prefix;
    EXPECT_FALSE(ec) << prefix;
    EXPECT_FALSE(parser.idle()) << prefix;
  }
}

TEST(RedisReplyParserErrors, BulkLengthLimit) {
  ParserLimits limits;
  limits.max_bulk_length = 10;
  EXPECT_FALSE(parse_failure("$10\r\n0123456789\r\n", 0, limits).code);
  for (std::string_view wire : {"$11\r\n", "!11\r\n", "=11\r\n"}) {
    Failure f = parse_failure(wire, 0, limits);
    EXPECT_EQ(f.code, Errc::limit_exceeded) << wire;
    EXPECT_EQ(f.offset, 1u);
    EXPECT_NE(f.message.find("bulk length 11 exceeds max_bulk_length (10)"), std::string::npos) << f.message;
  }
  EXPECT_EQ(parse_failure("$536870913\r\n").code, Errc::limit_exceeded);  // past Redis's 512 MiB default
}

TEST(RedisReplyParserErrors, AggregateElementLimit) {
  ParserLimits limits;
  limits.max_aggregate_elements = 4;
  EXPECT_FALSE(parse_failure("*4\r\n:1\r\n:2\r\n:3\r\n:4\r\n", 0, limits).code);
  EXPECT_FALSE(parse_failure("%2\r\n:1\r\n:2\r\n:3\r\n:4\r\n", 0, limits).code);
  Failure array = parse_failure("*5\r\n", 0, limits);
  EXPECT_EQ(array.code, Errc::limit_exceeded);
  EXPECT_NE(array.message.find("array of 5 elements exceeds max_aggregate_elements (4)"), std::string::npos)
      << array.message;
  Failure map = parse_failure("%3\r\n", 0, limits);  // three pairs are six elements
  EXPECT_EQ(map.code, Errc::limit_exceeded);
  EXPECT_NE(map.message.find("map of 6 elements"), std::string::npos) << map.message;
  EXPECT_EQ(parse_failure("~5\r\n", 0, limits).code, Errc::limit_exceeded);
  EXPECT_EQ(parse_failure(">5\r\n", 0, limits).code, Errc::limit_exceeded);
  EXPECT_EQ(parse_failure("|3\r\n", 0, limits).code, Errc::limit_exceeded);
}

TEST(RedisReplyParserErrors, LineLengthLimitHoldsBeforeTheLineEnds) {
  ParserLimits limits;
  limits.max_line_length = 8;
  EXPECT_FALSE(parse_failure("+12345678\r\n", 0, limits).code);
  // No CRLF ever arrives: the parser gives up at the limit instead of buffering without end.
  Failure f = parse_failure("-123456789", 1, limits);
  EXPECT_EQ(f.code, Errc::limit_exceeded);
  EXPECT_EQ(f.offset, 9u);
  EXPECT_NE(f.message.find("max_line_length (8)"), std::string::npos) << f.message;
  EXPECT_EQ(parse_failure("(1234567890\r\n", 0, limits).code, Errc::limit_exceeded);
}

TEST(RedisReplyParserErrors, HostileDeclaredSizesDoNotAllocate) {
  for (std::string_view wire :
       {"$536870912\r\n", "*4294967294\r\n", "%2147483647\r\n", "*3\r\n$536870912\r\nab"}) {
    ReplyParser parser;
    std::size_t before = g_allocated.load();
    parser.feed(wire);
    std::error_code ec;
    EXPECT_FALSE(parser.next(ec).has_value());
    EXPECT_FALSE(ec) << wire << ": " << parser.error_message();
    // At most the 1 MiB a bulk header may reserve ahead of its body, never the declared size.
    EXPECT_LT(g_allocated.load() - before, std::size_t{1536 * 1024}) << wire;
  }
}

}  // namespace
}  // namespace fern::redis
