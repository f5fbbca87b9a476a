// JSON bodies through a real http::Server: parsed requests, serialised responses, 400 for a body
// that is not JSON, 413 for one over the limit.
#include "fern/http/json.hpp"

#include <gtest/gtest.h>

#include <string>

#include "fern/http/client.hpp"
#include "fern/http/router.hpp"
#include "fern/http/server.hpp"

namespace fern::http {
namespace {

TEST(Json, RequestAndResponseBodies) {
  Router routes;
  routes.post("/sum", [](ServerRequest& req, const RouteParams&) {
    nlohmann::json in = read_json(req, 64);
    int sum = 0;
    for (int v : in.at("values")) sum += v;
    return json_response({{"sum", sum}}, 201);
  });
  Server server(net::Address::ipv4_loopback(0), [&](ServerRequest& r) { return routes(r); });
  server.start();
  Client client;
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/sum";

  ClientResponse ok = client.post(url, R"({"values": [1, 2, 39]})", "application/json");
  EXPECT_EQ(ok.status, 201);
  ASSERT_TRUE(ok.headers.get("Content-Type"));
  EXPECT_EQ(*ok.headers.get("Content-Type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(ok.body).at("sum"), 42);

  ClientResponse bad = client.post(url, "{not json", "application/json");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body, "the body is not valid JSON");

  ClientResponse big =
      client.post(url, R"({"values": [)" + std::string(100, ' ') + "1]}", "application/json");
  EXPECT_EQ(big.status, 413);
}

}  // namespace
}  // namespace fern::http
