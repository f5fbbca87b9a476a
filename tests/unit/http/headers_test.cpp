// Headers: case-insensitive lookup, repeated fields, and comma-separated list tokens.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <fern/http/headers.hpp>

namespace fern::http {
namespace {

TEST(Headers, IequalsIgnoresAsciiCaseOnly) {
  EXPECT_TRUE(iequals("Content-Length", "content-LENGTH"));
  EXPECT_FALSE(iequals("Content-Length", "Content-Lengt"));
  EXPECT_FALSE(iequals("a", "b"));
  EXPECT_FALSE(iequals("\xc3\xa9", "\xc3\x89")) << "non-ASCII bytes compare exactly";
  EXPECT_TRUE(iequals("", ""));
}

TEST(Headers, LookupIsCaseInsensitiveAndFindsTheFirst) {
  const std::vector<HeaderField> fields = {{"Set-Cookie", "a=1"}, {"Host", "h"}, {"set-cookie", "b=2"}};
  Headers h(fields);
  EXPECT_EQ(h.size(), 3u);
  EXPECT_EQ(h.get("SET-COOKIE"), "a=1");
  EXPECT_EQ(h.count("set-cookie"), 2u);
  EXPECT_TRUE(h.contains("host"));
  EXPECT_FALSE(h.contains("hos"));
  EXPECT_EQ(h.get("missing"), std::nullopt);
  std::string names;
  for (const HeaderField& f : h) names += std::string(f.name) + ";";
  EXPECT_EQ(names, "Set-Cookie;Host;set-cookie;");
}

TEST(Headers, TokensInListsAcrossFields) {
  const std::vector<HeaderField> fields = {{"Connection", " keep-alive ,, Upgrade"}, {"connection", "TE"}};
  Headers h(fields);
  EXPECT_TRUE(h.has_token("connection", "upgrade"));
  EXPECT_TRUE(h.has_token("Connection", "KEEP-ALIVE"));
  EXPECT_TRUE(h.has_token("connection", "te"));
  EXPECT_FALSE(h.has_token("connection", "close"));
  EXPECT_FALSE(h.has_token("connection", "keep"));
  EXPECT_FALSE(h.has_token("upgrade", "te"));
}

TEST(Headers, ListElementsSkipEmptyOnesAndWhitespace) {
  std::vector<std::string> seen;
  EXPECT_TRUE(for_each_list_element(" a ,\tb,, ,c", [&](std::string_view e) {
    seen.emplace_back(e);
    return true;
  }));
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c"}));
  seen.clear();
  EXPECT_FALSE(for_each_list_element("x, y, z", [&](std::string_view e) {
    seen.emplace_back(e);
    return e != "y";
  }));
  EXPECT_EQ(seen, (std::vector<std::string>{"x", "y"}));
}

TEST(Headers, InitializerListForAFunctionArgument) {
  auto count_fields = [](Headers h) { return h.size(); };
  EXPECT_EQ(count_fields({{"A", "1"}, {"B", "2"}}), 2u);
  EXPECT_EQ(count_fields({}), 0u);
  EXPECT_TRUE(Headers().empty());
}

}  // namespace
}  // namespace fern::http
