// fern::http::Client through a FaultProxy in front of a real nginx: a response stalled in its head or
// mid-body ends in a timeout, not a hang; a connection cut or reset mid-response fails the callers
// whose responses it broke and no caller ever gets another's body; clear() lets the next request
// succeed on a new connection; and a POST lost on the way is never sent again by the client. Every
// failure before the response head carries its fern::Outcome: not_applied when not one byte of the
// request was written, unknown once the kernel took any (a cut past that point is invisible to the
// client). nginx's stub_status request counter, read past the proxy, tells how many requests really
// reached the server.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "fault_proxy.hpp"
#include "fault_test_helpers.hpp"
#include "fern/base/error.hpp"
#include "fern/http/client.hpp"
#include "fern/hub/spawn.hpp"
#include "servers.hpp"

namespace {

using namespace std::chrono_literals;
using fern::http::Client;
using fern::http::ClientOptions;
using fern_test::attempt;
using fern_test::bounded;
using fern_test::Direction;
using fern_test::FaultProxy;
using fern_test::Result;

// The client's bound on a whole request, which a stalled response must run into.
constexpr auto kRequestTimeout = 1s;
constexpr int kCallers = 8;

const char* const kServerBlock = R"(
    location = /status { stub_status; }
    location = /post { return 200 "posted"; }
    location ~ ^/echo/(.*)$ { return 200 "$1"; }
)";

// Short bodies for even callers, long ones (2000 bytes) for odd callers; each names its caller.
std::string echo_body(int i) {
  return i % 2 == 0 ? fern_test::padded("short-", i, 0, 'x') : fern_test::padded("long-", i, 2000, 'x');
}

class HttpFaultsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { nginx_ = new fern_test::NginxServer(kServerBlock); }
  static void TearDownTestSuite() {
    delete nginx_;
    nginx_ = nullptr;
  }

  static ClientOptions proxied_options() {
    ClientOptions o;
    o.timeout = kRequestTimeout;
    o.connect_timeout = kRequestTimeout;
    return o;
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(proxy_.port()) + path;
  }

  // Requests nginx has received so far, read straight from it (the read itself counts as one).
  std::uint64_t requests_at_server() {
    const std::string status =
        direct_.get("http://127.0.0.1:" + std::to_string(nginx_->port()) + "/status").body;
    // "Active connections: N \nserver accepts handled requests\n A H R \n..."
    std::istringstream in(status.substr(status.find("requests") + 8));
    std::uint64_t accepts = 0, handled = 0, requests = 0;
    in >> accepts >> handled >> requests;
    return requests;
  }

  // Bytes nginx sends for a GET of `path` (head and body), measured through the proxy.
  std::size_t response_size(const std::string& path) {
    const std::uint64_t before = proxy_.bytes_forwarded(Direction::downstream);
    EXPECT_EQ(client_.get(url(path)).status, 200);
    return proxy_.bytes_forwarded(Direction::downstream) - before;
  }

  // A POST through the proxy, bounded: the non-idempotent request whose fate the tests follow.
  Result post_through_proxy() {
    Result r;
    bounded([&] { r = attempt([&] { return client_.post(url("/post"), "payload", "text/plain").body; }); });
    return r;
  }

  static fern_test::NginxServer* nginx_;
  FaultProxy proxy_{"127.0.0.1", static_cast<std::uint16_t>(nginx_->port())};
  Client client_{proxied_options()};
  Client direct_;
};

fern_test::NginxServer* HttpFaultsTest::nginx_ = nullptr;

TEST_F(HttpFaultsTest, StallInTheResponseHeadEndsInATimeout) {
  ASSERT_EQ(client_.get(url("/echo/warm")).body, "warm");
  proxy_.stall_after(Direction::downstream, 20);  // inside the status line and headers
  Result r;
  bounded([&] { r = attempt([&] { return client_.get(url("/echo/stalled")).body; }); });
  EXPECT_EQ(r.error, fern::Errc::timed_out) << r.what;
  EXPECT_TRUE(r.unknown()) << r.what;
  proxy_.clear();
  bounded([&] { EXPECT_EQ(client_.get(url("/echo/after")).body, "after"); });
}

TEST_F(HttpFaultsTest, StallMidBodyEndsInATimeout) {
  const std::size_t size = response_size("/echo/" + echo_body(1));
  proxy_.stall_after(Direction::downstream, size - 100);  // the head and most of the body
  Result r;
  bounded([&] { r = attempt([&] { return client_.get(url("/echo/" + echo_body(1))).body; }); });
  EXPECT_EQ(r.error, fern::Errc::timed_out) << r.what;
  proxy_.clear();
  bounded([&] { EXPECT_EQ(client_.get(url("/echo/" + echo_body(3))).body, echo_body(3)); });
}

// Concurrent callers on several connections: a cut after more bytes than a short response and fewer
// than a long one breaks exactly the long responses.
void check_only_long_responses_break(Client& client,
                                     const std::function<std::string(const std::string&)>& url,
                                     std::vector<Result>& results) {
  std::vector<fern::GreenletRef<>> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.push_back(fern::spawn(
        [&, i] { results[i] = attempt([&] { return client.get(url("/echo/" + echo_body(i))).body; }); }));
  }
  bounded([&] { fern::joinall(callers); });
  for (int i = 0; i < kCallers; ++i) {
    if (i % 2 == 0) {
      EXPECT_EQ(results[i].value, echo_body(i)) << "caller " << i << ": " << results[i].what;
    } else {
      EXPECT_FALSE(results[i].value) << "caller " << i << " got a body of " << results[i].value->size();
      EXPECT_TRUE(results[i].error) << "caller " << i;
    }
  }
}

TEST_F(HttpFaultsTest, CutMidResponseFailsTheBrokenCallersOnlyAndNoBodyGoesAstray) {
  const std::size_t short_size = response_size("/echo/" + echo_body(0));
  const std::size_t long_size = response_size("/echo/" + echo_body(1));
  ASSERT_LT(short_size + 200, long_size);
  proxy_.cut_after(Direction::downstream, (short_size + long_size) / 2);
  std::vector<Result> results(kCallers);
  check_only_long_responses_break(
      client_, [&](const std::string& path) { return url(path); }, results);
  for (int i = 1; i < kCallers; i += 2) {
    EXPECT_NE(results[i].what.find("/echo/long-" + std::to_string(i)), std::string::npos) << results[i].what;
  }
  proxy_.clear();
  bounded([&] {
    for (int i = 0; i < kCallers; ++i)
      EXPECT_EQ(client_.get(url("/echo/" + echo_body(i))).body, echo_body(i));
  });
}

TEST_F(HttpFaultsTest, ResetMidResponseFailsTheBrokenCallersOnly) {
  const std::size_t short_size = response_size("/echo/" + echo_body(0));
  const std::size_t long_size = response_size("/echo/" + echo_body(1));
  proxy_.reset_after(Direction::downstream, (short_size + long_size) / 2);
  std::vector<Result> results(kCallers);
  check_only_long_responses_break(
      client_, [&](const std::string& path) { return url(path); }, results);
  proxy_.clear();
  bounded([&] { EXPECT_EQ(client_.get(url("/echo/" + echo_body(1))).body, echo_body(1)); });
}

TEST_F(HttpFaultsTest, PostCutAfterLeavingTheClientIsUnknownButNotAppliedNorResent) {
  ASSERT_EQ(client_.get(url("/echo/warm")).body, "warm");  // a pooled connection to reuse
  const std::uint64_t before = requests_at_server();
  proxy_.cut_after(Direction::upstream, 0);
  Result r = post_through_proxy();
  EXPECT_FALSE(r.value);
  EXPECT_EQ(r.error, fern::Errc::unexpected_eof) << r.what;
  EXPECT_TRUE(r.unknown()) << r.what;            // the kernel took the bytes: the client cannot know more
  EXPECT_EQ(requests_at_server() - before, 1u);  // the status read alone
  proxy_.clear();
  bounded([&] { EXPECT_EQ(client_.get(url("/echo/after")).body, "after"); });
  EXPECT_EQ(requests_at_server() - before, 3u);  // + that GET + this read: the POST never came
}

TEST_F(HttpFaultsTest, PostCutAfterReachingTheServerIsAppliedOnceNotResent) {
  ASSERT_EQ(client_.get(url("/echo/warm")).body, "warm");
  const std::uint64_t before = requests_at_server();
  proxy_.cut_after(Direction::downstream, 0);
  Result r = post_through_proxy();
  EXPECT_FALSE(r.value);
  EXPECT_EQ(r.error, fern::Errc::unexpected_eof) << r.what;
  EXPECT_TRUE(r.unknown()) << r.what;
  EXPECT_EQ(requests_at_server() - before, 2u);  // the POST, once, and the status read
}

TEST_F(HttpFaultsTest, PostWhoseConnectionCannotBeMadeIsNotApplied) {
  std::uint16_t closed_port = 0;
  {
    FaultProxy gone("127.0.0.1", static_cast<std::uint16_t>(nginx_->port()));
    closed_port = gone.port();
  }
  const std::uint64_t before = requests_at_server();
  Result r;
  bounded([&] {
    r = attempt([&] {
      return client_
          .post("http://127.0.0.1:" + std::to_string(closed_port) + "/post", "payload", "text/plain")
          .body;
    });
  });
  EXPECT_FALSE(r.value);
  EXPECT_EQ(r.error, std::errc::connection_refused) << r.what;
  EXPECT_TRUE(r.not_applied()) << r.what;
  EXPECT_EQ(requests_at_server() - before, 1u);  // the status read alone
}

TEST_F(HttpFaultsTest, PostOnAPooledConnectionClosedWhileIdleGoesOutOnceOnANewOne) {
  ASSERT_EQ(client_.get(url("/echo/warm")).body, "warm");
  const std::uint64_t before = requests_at_server();
  proxy_.close_all();  // the pooled connection is dead before the POST is written
  Result r = post_through_proxy();
  EXPECT_EQ(r.value, "posted") << r.what;
  EXPECT_EQ(requests_at_server() - before, 2u);  // the POST, once, and the status read
  EXPECT_EQ(proxy_.connections_accepted(), 2u);
}

TEST_F(HttpFaultsTest, IdempotentGetLostBeforeAnyResponseByteIsSentAgainOnlyOnce) {
  ASSERT_EQ(client_.get(url("/echo/warm")).body, "warm");
  const std::uint64_t before = requests_at_server();
  proxy_.cut_after(Direction::downstream, 0);  // the retry's new connection is cut as well
  Result r;
  bounded([&] { r = attempt([&] { return client_.get(url("/echo/lost")).body; }); });
  EXPECT_FALSE(r.value);
  EXPECT_TRUE(r.error) << r.what;
  // The documented single retry of an idempotent request on a reused connection, and no more.
  EXPECT_EQ(requests_at_server() - before, 3u);
}

TEST_F(HttpFaultsTest, BlackHoleTimesOutAndRefusalFailsThenBothRecover) {
  proxy_.set_black_hole(true);
  Result swallowed;
  bounded([&] { swallowed = attempt([&] { return client_.get(url("/echo/void")).body; }); });
  EXPECT_EQ(swallowed.error, fern::Errc::timed_out) << swallowed.what;
  EXPECT_TRUE(swallowed.unknown()) << swallowed.what;
  proxy_.clear();
  proxy_.set_refuse(true);
  Result refused;
  bounded([&] { refused = attempt([&] { return client_.get(url("/echo/refused")).body; }); });
  EXPECT_FALSE(refused.value);
  EXPECT_TRUE(refused.error);
  EXPECT_TRUE(refused.outcome) << refused.what;
  proxy_.clear();
  bounded([&] { EXPECT_EQ(client_.get(url("/echo/back")).body, "back"); });
}

}  // namespace
