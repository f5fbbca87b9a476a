#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <list>
#include <span>
#include <string>
#include <vector>

#include "fern/base/error.hpp"
#include "fern/clients/redis/proto/command_writer.hpp"
#include "fern/clients/redis/proto/reply_parser.hpp"

namespace fern::redis {
namespace {

using namespace std::string_literals;

static_assert(CommandArg<const char*>);
static_assert(CommandArg<std::string>);
static_assert(CommandArg<std::span<const std::byte>>);
static_assert(CommandArg<std::vector<unsigned char>>);
static_assert(CommandArg<std::vector<std::string>>);
static_assert(CommandArg<std::list<int>>);
static_assert(CommandArg<double>);
static_assert(!CommandArg<bool>, "true is neither \"1\" nor \"true\" for every command");
static_assert(!CommandArg<char>, "a char is neither clearly a byte nor a number");
static_assert(!CommandArg<std::vector<bool>>);
static_assert(!CommandArg<void*>);

template <class... Args>
std::string encoded(const Args&... args) {
  std::string out;
  encode_command(out, args...);
  return out;
}

TEST(RedisCommandWriter, StringsAreBulkStrings) {
  EXPECT_EQ(encoded("SET", "key", "value"), "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n");
  std::string key = "user:1";
  std::string_view value = "";
  EXPECT_EQ(encoded("GET", key), "*2\r\n$3\r\nGET\r\n$6\r\nuser:1\r\n");
  EXPECT_EQ(encoded("SET", key, value), "*3\r\n$3\r\nSET\r\n$6\r\nuser:1\r\n$0\r\n\r\n");
  EXPECT_EQ(encoded("PING"), "*1\r\n$4\r\nPING\r\n");
}

TEST(RedisCommandWriter, BinaryWordsKeepEveryByte) {
  std::string with_nul = "a\0\r\nb"s;
  EXPECT_EQ(encoded("SET", "k", with_nul), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\na\0\r\nb\r\n"s);
  std::vector<std::byte> bytes{std::byte{0}, std::byte{0xff}, std::byte{'\n'}};
  std::vector<unsigned char> uchars{0x80, 0x01};
  std::array<char, 2> chars{'h', 'i'};
  EXPECT_EQ(encoded("SET", std::span<const std::byte>(bytes), uchars, chars),
            "*4\r\n$3\r\nSET\r\n$3\r\n\0\xff\n\r\n$2\r\n\x80\x01\r\n$2\r\nhi\r\n"s);
}

TEST(RedisCommandWriter, IntegersAreDecimal) {
  EXPECT_EQ(encoded("EXPIRE", "k", 60), "*3\r\n$6\r\nEXPIRE\r\n$1\r\nk\r\n$2\r\n60\r\n");
  EXPECT_EQ(encoded(std::int64_t{-1}), "*1\r\n$2\r\n-1\r\n");
  EXPECT_EQ(encoded(std::numeric_limits<std::int64_t>::min()), "*1\r\n$20\r\n-9223372036854775808\r\n");
  EXPECT_EQ(encoded(std::numeric_limits<std::uint64_t>::max()), "*1\r\n$20\r\n18446744073709551615\r\n");
  EXPECT_EQ(encoded(short{7}, 0u, 1234567890123LL), "*3\r\n$1\r\n7\r\n$1\r\n0\r\n$13\r\n1234567890123\r\n");
}

TEST(RedisCommandWriter, DoublesRoundTrip) {
  EXPECT_EQ(encoded(1.5), "*1\r\n$3\r\n1.5\r\n");
  EXPECT_EQ(encoded(0.1), "*1\r\n$3\r\n0.1\r\n");  // shortest form, not 0.1000000000000000055
  EXPECT_EQ(encoded(-2.0), "*1\r\n$2\r\n-2\r\n");
  EXPECT_EQ(encoded(1e100), "*1\r\n$6\r\n1e+100\r\n");
  EXPECT_EQ(encoded(2.5f), "*1\r\n$3\r\n2.5\r\n");
  EXPECT_EQ(encoded(std::numeric_limits<double>::infinity()), "*1\r\n$3\r\ninf\r\n");
  EXPECT_EQ(encoded(-std::numeric_limits<double>::infinity()), "*1\r\n$4\r\n-inf\r\n");
}

TEST(RedisCommandWriter, RangesAddOneWordPerElement) {
  std::vector<std::string> keys{"a", "bb", "ccc"};
  EXPECT_EQ(encoded("DEL", keys), "*4\r\n$3\r\nDEL\r\n$1\r\na\r\n$2\r\nbb\r\n$3\r\nccc\r\n");
  std::list<int> scores{1, -2};
  EXPECT_EQ(encoded("X", scores, "tail"), "*4\r\n$1\r\nX\r\n$1\r\n1\r\n$2\r\n-2\r\n$4\r\ntail\r\n");
  std::vector<std::string_view> none;
  EXPECT_EQ(encoded("MGET", none), "*1\r\n$4\r\nMGET\r\n");
  std::array<std::string_view, 2> words{"ECHO", "hi"};
  EXPECT_EQ(encoded(words), "*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n");
}

TEST(RedisCommandWriter, EmptyCommandIsRejected) {
  std::vector<std::string> none;
  std::string out = "kept";
  try {
    encode_command(out, none);
    FAIL() << "a command of no words was encoded";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), Errc::invalid_argument);
  }
  EXPECT_EQ(out, "kept");
}

TEST(RedisCommandWriter, CommandsAppendForPipelining) {
  std::string out = "*1\r\n$4\r\nPING\r\n";
  encode_command(out, "INCR", "n");
  encode_command(out, "GET", "n");
  EXPECT_EQ(out, "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n*2\r\n$3\r\nGET\r\n$1\r\nn\r\n");
}

// The encoding of a command is itself RESP: the parser must read it back as an array of bulk strings.
TEST(RedisCommandWriter, EncodingParsesBackAsBulkStrings) {
  std::string big(100000, 'z');
  std::string out;
  encode_command(out, "HSET", "h", std::string("\0\r\n", 3), 42, -0.5, big);
  encode_command(out, "PING");
  ReplyParser parser;
  parser.feed(out);
  std::optional<Reply> first = parser.next();
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->kind(), Kind::array);
  std::vector<std::string> words;
  for (ReplyView word : first->elements()) {
    EXPECT_EQ(word.kind(), Kind::bulk_string);
    words.emplace_back(word.as_string());
  }
  EXPECT_EQ(words, (std::vector<std::string>{"HSET", "h", std::string("\0\r\n", 3), "42", "-0.5", big}));
  std::optional<Reply> second = parser.next();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->to_string(), R"(["PING"])");
  EXPECT_TRUE(parser.idle());
}

TEST(RedisCommandWriter, WriterTracksPartialWrites) {
  CommandWriter writer;
  EXPECT_TRUE(writer.empty());
  writer.command("SET", "k", 1).command("GET", "k");
  const std::string all = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n1\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
  EXPECT_EQ(writer.pending(), all);
  writer.consume(5);
  EXPECT_EQ(writer.pending(), all.substr(5));
  writer.consume(20);  // past half: the written prefix is dropped, the rest unchanged
  EXPECT_EQ(writer.pending(), all.substr(25));
  writer.command("PING");
  EXPECT_EQ(writer.pending(), all.substr(25) + "*1\r\n$4\r\nPING\r\n");
  try {
    writer.consume(writer.pending().size() + 1);
    FAIL() << "consumed more than was pending";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), Errc::invalid_argument);
  }
  writer.consume(writer.pending().size());
  EXPECT_TRUE(writer.empty());
  EXPECT_EQ(writer.pending(), "");
  writer.command("PING");
  writer.clear();
  EXPECT_TRUE(writer.empty());
}

}  // namespace
}  // namespace fern::redis
