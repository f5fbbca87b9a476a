// TaskClient: requests from aio tasks to a fern http::Server on loopback, through the same Client
// (and its connection pool) that greenlets use; a timeout scope ends a request whose server is
// slow, and the client carries on.
#include "fern/http/task_client.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "fern/aio/spawn.hpp"
#include "fern/aio/task.hpp"
#include "fern/aio/timeout.hpp"
#include "fern/http/server.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/timeout.hpp"

namespace {

using namespace std::chrono_literals;
namespace aio = fern::aio;
namespace http = fern::http;

http::ServerResponse echo(http::ServerRequest& req) {
  if (req.path() == "/slow") fern::sleep(1h);
  std::string body = std::string(req.method()) + " " + std::string(req.target());
  if (req.has_body()) body += " " + req.read_body();
  return http::ServerResponse::text(std::move(body));
}

struct Fixture {
  Fixture() : server(fern::net::Address::ipv4_loopback(0), echo) { server.start(); }
  ~Fixture() { server.close(); }
  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(server.port()) + std::string(path);
  }
  http::Server server;
};

aio::Task<std::vector<std::string>> three_requests(http::TaskClient http, std::string base) {
  std::vector<std::string> bodies;
  http::ClientResponse got = co_await http.get(base + "/a");
  bodies.push_back(got.body);
  http::ClientResponse posted = co_await http.post(base + "/b", std::string("payload"), "text/plain");
  bodies.push_back(posted.body);
  http::ClientRequest request;  // built before the await (see task_client.hpp)
  request.method = "PUT";
  request.url = base + "/c";
  request.body = "put-body";
  http::ClientResponse put = co_await http.request(request);
  bodies.push_back(put.body);
  co_return bodies;
}

TEST(HttpTaskClient, RequestsFromATask) {
  Fixture f;
  http::Client client;
  auto bodies = aio::run(three_requests(http::TaskClient(client), f.url("")));
  EXPECT_EQ(bodies, (std::vector<std::string>{"GET /a", "POST /b payload", "PUT /c put-body"}));
  EXPECT_EQ(client.connections_opened(), 1u);  // one kept-alive connection served all three
}

aio::Task<int> status_of(http::TaskClient http, std::string url) {
  http::ClientResponse r = co_await http.get(url);
  co_return r.status;
}

// Tasks and greenlets use one Client at the same time; its pool serves both.
TEST(HttpTaskClient, TasksAndGreenletsShareOneClient) {
  Fixture f;
  http::Client client;
  std::vector<aio::TaskHandle<int>> tasks;
  std::vector<fern::GreenletRef<int>> greenlets;
  for (int i = 0; i < 8; ++i) {
    tasks.push_back(aio::spawn(status_of(http::TaskClient(client), f.url("/t"))));
    greenlets.push_back(fern::spawn([&client, &f] { return client.get(f.url("/g")).status; }));
  }
  for (auto& t : tasks) EXPECT_EQ(t.get(), 200);
  for (auto& g : greenlets) EXPECT_EQ(g.get(), 200);
  EXPECT_LE(client.connections_opened(), 16u);
}

aio::Task<std::string> slow_then_fast(http::TaskClient http, std::string base) {
  try {
    auto scope = co_await aio::timeout(30ms);
    co_await http.get(base + "/slow");
    co_return "no timeout";
  } catch (const fern::TimeoutError&) {
  }
  http::ClientResponse r = co_await http.get(base + "/fast");
  co_return r.body;
}

TEST(HttpTaskClient, ATimeoutScopeEndsASlowRequest) {
  Fixture f;
  http::Client client;
  EXPECT_EQ(aio::run(slow_then_fast(http::TaskClient(client), f.url(""))), "GET /fast");
}

}  // namespace
