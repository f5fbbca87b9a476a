#include "fern/http/debug_server.hpp"

#include <gtest/gtest.h>

#include <string>

#include "fern/http/client.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/sync/event.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

class DebugServer : public ::testing::Test {
 protected:
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }
  std::unique_ptr<http::Server> server_ = serve_debug(net::Address::ipv4_loopback(0));
  http::Client client_;
};

TEST_F(DebugServer, GreenletsShowsTheTreeOfTheHub) {
  Event never;
  auto stuck = spawn_with({.name = "stuck-on-event"}, [&] { never.wait(); });
  sleep(1ms);
  http::ClientResponse r = client_.get(url("/debug/greenlets"));
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("<hub: "), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("stuck-on-event (#" + std::to_string(stuck->id()) + ") parked"), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("on Event"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("debug_server_test.cpp:"), std::string::npos) << r.body;
  killall({stuck});
}

TEST_F(DebugServer, MetricsSpeakPrometheus) {
  http::ClientResponse r = client_.get(url("/metrics"));
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.headers.get("Content-Type").value_or("").find("version=0.0.4"), std::string::npos);
  EXPECT_NE(r.body.find("# TYPE fern_hub_greenlets_live gauge\n"), std::string::npos) << r.body;
  // The server's own connection greenlet is live while it answers.
  EXPECT_NE(r.body.find("fern_hub_parked{kind=\"fd\"}"), std::string::npos) << r.body;
}

TEST_F(DebugServer, OtherPathsAndMethodsAreRefused) {
  EXPECT_EQ(client_.get(url("/nothing")).status, 404);
  EXPECT_EQ(client_.post(url("/metrics"), "x", "text/plain").status, 405);
}

}  // namespace
}  // namespace fern
