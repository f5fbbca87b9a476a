#include <gtest/gtest.h>

#include <iterator>
#include <ranges>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "fern/base/error.hpp"
#include "fern/clients/redis/proto/reply.hpp"
#include "fern/clients/redis/proto/reply_parser.hpp"

namespace fern::redis {
namespace {

// Replies are made by the parser; these tests are about what a Reply offers once made.
Reply parse(std::string_view wire) {
  ReplyParser parser;
  parser.feed(wire);
  std::optional<Reply> reply = parser.next();
  EXPECT_TRUE(reply.has_value()) << wire;
  EXPECT_TRUE(parser.idle()) << wire;
  return reply ? std::move(*reply) : Reply{};
}

void expect_invalid_argument(auto&& call, std::string_view says) {
  try {
    call();
    ADD_FAILURE() << "no exception; expected one saying: " << says;
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), Errc::invalid_argument);
    EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
  }
}

TEST(RedisReply, DefaultIsNil) {
  Reply reply;
  EXPECT_EQ(reply.kind(), Kind::nil);
  EXPECT_TRUE(reply.is_nil());
  EXPECT_FALSE(reply.attribute().has_value());
  EXPECT_EQ(reply.to_string(), "nil");
}

TEST(RedisReply, KindPredicates) {
  EXPECT_TRUE(parse("+OK\r\n").is_string());
  EXPECT_TRUE(parse("$1\r\nx\r\n").is_string());
  EXPECT_TRUE(parse("=5\r\ntxt:x\r\n").is_string());
  EXPECT_FALSE(parse("-ERR\r\n").is_string());
  EXPECT_TRUE(parse("-ERR\r\n").is_error());
  EXPECT_TRUE(parse("!3\r\nERR\r\n").is_error());
  for (std::string_view wire : {"*0\r\n", "%0\r\n", "~0\r\n", ">0\r\n"})
    EXPECT_TRUE(parse(wire).is_aggregate()) << wire;
  EXPECT_FALSE(parse(":1\r\n").is_aggregate());
  EXPECT_EQ(kind_name(Kind::double_), "double");
  EXPECT_EQ(kind_name(Kind::verbatim_string), "verbatim_string");
}

TEST(RedisReply, WrongAccessorThrowsNamingTheKind) {
  Reply text = parse("$3\r\nabc\r\n");
  expect_invalid_argument([&] { (void)text.as_integer(); },
                          "as_integer() called on a reply of kind bulk_string");
  expect_invalid_argument([&] { (void)text.elements(); }, "elements() called on a reply of kind bulk_string");
  expect_invalid_argument([&] { (void)text.as_double(); }, "as_double()");
  expect_invalid_argument([&] { (void)text.as_boolean(); }, "as_boolean()");
  expect_invalid_argument([&] { (void)text.verbatim_format(); }, "verbatim_format()");
  Reply number = parse(":5\r\n");
  expect_invalid_argument([&] { (void)number.as_string(); }, "as_string() called on a reply of kind integer");
  Reply array = parse("*1\r\n:1\r\n");
  expect_invalid_argument([&] { (void)array.entries(); }, "entries() called on a reply of kind array");
  expect_invalid_argument([&] { (void)array.find("x"); }, "entries()");
  expect_invalid_argument([&] { (void)array[1]; }, "element 1 of 1 is out of range");
}

TEST(RedisReply, StringLikeKindsShareAsString) {
  EXPECT_EQ(parse("-WRONGTYPE oops\r\n").as_string(), "WRONGTYPE oops");
  EXPECT_EQ(parse("(-99\r\n").as_string(), "-99");
  Reply verbatim = parse("=10\r\nmkd:# head\r\n");
  EXPECT_EQ(verbatim.verbatim_format(), "mkd");
  EXPECT_EQ(verbatim.as_string(), "# head");
}

TEST(RedisReply, ElementsAreARange) {
  Reply reply = parse("*4\r\n:10\r\n:20\r\n:30\r\n:40\r\n");
  ReplyElements elements = reply.elements();
  EXPECT_EQ(elements.size(), 4u);
  EXPECT_FALSE(elements.empty());
  EXPECT_EQ(std::ranges::distance(elements), 4);
  std::vector<std::int64_t> values;
  for (ReplyView element : elements) values.push_back(element.as_integer());
  EXPECT_EQ(values, (std::vector<std::int64_t>{10, 20, 30, 40}));
  EXPECT_EQ(reply[3].as_integer(), 40);
  EXPECT_TRUE(parse("*0\r\n").elements().empty());
  static_assert(std::ranges::forward_range<ReplyElements>);
  static_assert(std::ranges::sized_range<ReplyElements>);
}

TEST(RedisReply, MapEntriesAndFind) {
  Reply map = parse("%3\r\n$4\r\nname\r\n$4\r\nfern\r\n:7\r\n+seven\r\n(8\r\n#f\r\n");
  std::vector<std::string> keys;
  for (auto [key, value] : map.entries()) keys.push_back(key.to_string());
  EXPECT_EQ(keys, (std::vector<std::string>{R"("name")", "7", "8n"}));
  EXPECT_EQ(map.elements().size(), 6u);  // keys and values alternate
  EXPECT_EQ(map.find("name")->as_string(), "fern");
  EXPECT_EQ(map.find("7")->as_string(), "seven");  // integer keys match their decimal text
  EXPECT_FALSE(map.find("8")->as_boolean());
  EXPECT_FALSE(map.find("missing").has_value());
  static_assert(std::ranges::forward_range<ReplyEntries>);
}

TEST(RedisReply, CopiesAreIndependent) {
  std::optional<Reply> original = parse("*2\r\n$5\r\nhello\r\n%1\r\n+k\r\n$20\r\nabcdefghijklmnopqrst\r\n");
  Reply copy = *original;
  Reply assigned;
  assigned = *original;
  original.reset();  // under ASan, a view into freed storage would be caught here
  for (const Reply* r : {&copy, &assigned}) {
    EXPECT_EQ((*r)[0].as_string(), "hello");
    EXPECT_EQ((*r)[1].find("k")->as_string(), "abcdefghijklmnopqrst");
  }
  EXPECT_EQ(copy, assigned);
  const Reply& same = assigned;
  assigned = same;  // self-assignment keeps the value
  EXPECT_EQ(assigned[0].as_string(), "hello");
}

TEST(RedisReply, MovedFromIsNil) {
  Reply source = parse("*1\r\n$5\r\nhello\r\n");
  Reply moved(std::move(source));
  EXPECT_EQ(moved[0].as_string(), "hello");
  EXPECT_TRUE(source.is_nil());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  Reply target = parse(":1\r\n");
  target = std::move(moved);
  EXPECT_EQ(target[0].as_string(), "hello");
  EXPECT_TRUE(moved.is_nil());  // NOLINT(bugprone-use-after-move)
  std::vector<Reply> many;
  for (int i = 0; i < 100; ++i) many.push_back(parse("$5\r\nhello\r\n"));  // survives reallocation
  for (const Reply& r : many) EXPECT_EQ(r.as_string(), "hello");
}

TEST(RedisReply, EqualityIsStructural) {
  EXPECT_EQ(parse("*2\r\n:1\r\n$1\r\na\r\n"), parse("*2\r\n:1\r\n$1\r\na\r\n"));
  EXPECT_NE(parse("+OK\r\n"), parse("$2\r\nOK\r\n"));  // a status is not a bulk string
  EXPECT_NE(parse("*2\r\n:1\r\n:2\r\n"), parse("*2\r\n:1\r\n:3\r\n"));
  EXPECT_NE(parse("*1\r\n:1\r\n"), parse("*2\r\n:1\r\n:1\r\n"));
  EXPECT_NE(parse("*1\r\n:1\r\n"), parse("~1\r\n:1\r\n"));
  EXPECT_NE(parse("|0\r\n:1\r\n"), parse(":1\r\n"));
  EXPECT_NE(parse("|1\r\n+a\r\n:1\r\n:1\r\n"), parse("|1\r\n+a\r\n:2\r\n:1\r\n"));
  EXPECT_NE(parse("=7\r\ntxt:abc\r\n"), parse("=7\r\nmkd:abc\r\n"));
  EXPECT_EQ(parse(",nan\r\n"), parse(",nan\r\n"));
  EXPECT_EQ(parse("$-1\r\n"), parse("_\r\n"));  // a nil is a nil in either protocol
  Reply nested = parse("*2\r\n*1\r\n:5\r\n:6\r\n");
  EXPECT_EQ(nested[0], parse("*1\r\n:5\r\n"));  // views compare like replies
}

TEST(RedisReply, PrintsEveryKind) {
  Reply reply = parse(
      "*13\r\n+OK\r\n-ERR x\r\n:-3\r\n$6\r\n\"a\\\x01\r\n\r\n_\r\n,1\r\n,-1.5e-7\r\n,-inf\r\n#f\r\n(77\r\n"
      "=6\r\ntxt:\tx\r\n~1\r\n%1\r\n:1\r\n>0\r\n|1\r\n+src\r\n+cache\r\n*0\r\n");
  EXPECT_EQ(reply.to_string(),
            R"([+"OK", -"ERR x", -3, "\"a\\\x01\r\n", nil, 1.0, -1.5e-07, -inf, false, 77n, txt:"\tx", )"
            R"(~[{1: >[]}], |{+"src": +"cache"}| []])");
  std::ostringstream out;
  out << reply[0];
  EXPECT_EQ(out.str(), R"(+"OK")");
}

TEST(RedisReply, TakeStringMovesOrCopiesTheText) {
  Reply bulk = parse("$5\r\nhello\r\n");
  std::string taken = std::move(bulk).take_string();
  EXPECT_EQ(taken, "hello");
  EXPECT_TRUE(bulk.is_nil());  // NOLINT(bugprone-use-after-move): documented state
  std::string big(4096, 'b');
  Reply large = parse("$4096\r\n" + big + "\r\n");
  const char* arena = large.as_string().data();
  std::string moved = std::move(large).take_string();
  EXPECT_EQ(moved, big);
  EXPECT_EQ(moved.data(), arena);  // the arena itself, no copy
  EXPECT_EQ(parse("=8\r\ntxt:text\r\n").take_string(), "text");
  EXPECT_EQ(parse("+OK\r\n").take_string(), "OK");
  EXPECT_EQ(parse("|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n").take_string(), "v");
  EXPECT_THROW(parse(":1\r\n").take_string(), std::system_error);
}

}  // namespace
}  // namespace fern::redis
