// Router on a real http::Server, asked by fern's HTTP client over loopback: captures (decoded),
// the rest capture, literal routes before captures, 404, 405 with Allow, HEAD through GET, and
// patterns refused when built.
#include "fern/http/router.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "fern/http/client.hpp"
#include "fern/http/request_error.hpp"
#include "fern/http/server.hpp"

namespace fern::http {
namespace {

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    routes_.get("/users/me", [](ServerRequest&, const RouteParams&) { return ServerResponse::text("me"); });
    routes_.get("/users/{id}", [](ServerRequest&, const RouteParams& p) {
      return ServerResponse::text("user " + std::string(p["id"]));
    });
    routes_.remove("/users/{id}", [](ServerRequest&, const RouteParams& p) {
      return ServerResponse::text("deleted " + std::string(p["id"]));
    });
    routes_.get("/files/{path...}", [](ServerRequest&, const RouteParams& p) {
      return ServerResponse::text("file " + std::string(p["path"]));
    });
    routes_.get("/teapot", [](ServerRequest&, const RouteParams&) -> ServerResponse {
      throw RequestError(418, "short and stout");
    });
    server_.start();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_.port()) + path;
  }

  Router routes_;
  Server server_{net::Address::ipv4_loopback(0), [this](ServerRequest& r) { return routes_(r); }};
  Client client_;
};

TEST_F(RouterTest, CapturesLiteralsAndTheRest) {
  EXPECT_EQ(client_.get(url("/users/42")).body, "user 42");
  EXPECT_EQ(client_.get(url("/users/me")).body, "me");  // the literal route was added first
  EXPECT_EQ(client_.get(url("/users/a%20b")).body, "user a b");
  EXPECT_EQ(client_.get(url("/files/a/b/c.txt")).body, "file a/b/c.txt");
  EXPECT_EQ(client_.request({.method = "DELETE", .url = url("/users/7")}).body, "deleted 7");
}

TEST_F(RouterTest, NotFoundMethodNotAllowedAndHead) {
  ClientResponse missing = client_.get(url("/nothing/here"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(client_.get(url("/users/42/extra")).status, 404);
  ClientResponse wrong = client_.post(url("/users/42"), "x", "text/plain");
  EXPECT_EQ(wrong.status, 405);
  ASSERT_TRUE(wrong.headers.get("Allow"));
  EXPECT_EQ(*wrong.headers.get("Allow"), "GET, DELETE");
  ClientResponse head = client_.head(url("/users/42"));
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  ClientResponse teapot = client_.get(url("/teapot"));
  EXPECT_EQ(teapot.status, 418);
  EXPECT_EQ(teapot.body, "short and stout");
  EXPECT_EQ(client_.get(url("/users/1")).body, "user 1");  // the connection survived the errors
}

TEST(Router, RefusesMalformedPatterns) {
  Router r;
  auto ok = [](ServerRequest&, const RouteParams&) { return ServerResponse::text(""); };
  EXPECT_THROW(r.get("users", ok), std::invalid_argument);
  EXPECT_THROW(r.get("/users/x{id}", ok), std::invalid_argument);
  EXPECT_THROW(r.get("/files/{path...}/more", ok), std::invalid_argument);
  EXPECT_NO_THROW(r.get("/", ok));
}

}  // namespace
}  // namespace fern::http
