// HeaderList (the owned fields of a ClientResponse) and ClientResponse::ok.
#include "fern/http/client_response.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using fern::http::ClientResponse;
using fern::http::HeaderField;
using fern::http::HeaderList;

TEST(HeaderListTest, LooksUpWithoutCaseAndKeepsOrderAndRepeats) {
  HeaderList h{{"Content-Type", "text/plain"}, {"Set-Cookie", "a=1"}, {"set-cookie", "b=2"}};
  EXPECT_EQ(h.size(), 3u);
  EXPECT_EQ(h.get("content-type"), "text/plain");
  EXPECT_EQ(h.get("SET-COOKIE"), "a=1");
  EXPECT_EQ(h.count("set-cookie"), 2u);
  EXPECT_FALSE(h.get("missing").has_value());
  std::vector<std::string> names;
  for (HeaderField f : h) names.emplace_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string>{"Content-Type", "Set-Cookie", "set-cookie"}));
}

TEST(HeaderListTest, ViewsSurviveMovesAndCopiesOfShortStrings) {
  // Short strings live inside std::string (SSO); offsets, not pointers, keep lookups right after a move.
  HeaderList a{{"A", "1"}};
  HeaderList b = std::move(a);
  HeaderList c = b;
  EXPECT_EQ(b.get("a"), "1");
  EXPECT_EQ(c.get("a"), "1");
}

TEST(HeaderListTest, SetRemoveAndTokens) {
  HeaderList h{{"Connection", "keep-alive, Upgrade"}, {"X", "1"}, {"x", "2"}};
  EXPECT_TRUE(h.has_token("connection", "upgrade"));
  EXPECT_FALSE(h.has_token("connection", "close"));
  EXPECT_EQ(h.remove("X"), 2u);
  EXPECT_EQ(h.remove("X"), 0u);
  h.set("Host", "a");
  h.set("host", "b");
  EXPECT_EQ(h.count("host"), 1u);
  EXPECT_EQ(h.get("Host"), "b");
  std::vector<HeaderField> fields;
  h.append_to(fields);
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[1].value, "b");
  h.clear();
  EXPECT_TRUE(h.empty());
}

TEST(ClientResponseTest, OkMeansTwoHundreds) {
  ClientResponse r;
  r.status = 204;
  EXPECT_TRUE(r.ok());
  r.status = 304;
  EXPECT_FALSE(r.ok());
  r.status = 199;
  EXPECT_FALSE(r.ok());
}

}  // namespace
