// L5 edge-triggered epoll echo, L11 fern::selectors callback server and L4 io_uring echo, run as real
// processes.
#include <gtest/gtest.h>

#include <string>

#include "scenarios.hpp"

namespace io_models_test {
namespace {

TEST(EpollEtEcho, FiftyClientsWithOneMebibyteEach) {
  const int port = free_port();
  auto server = start_server(FERN_IO_EPOLL_ET_ECHO, port);
  expect_served_at_once(port, 50, 3, echo_reply);
  expect_large_messages(port, 50, 1 << 20, echo_reply);
  expect_clean_stop(*server);
}

TEST(EpollEtEcho, SurvivesResets) {
  const int port = free_port();
  auto server = start_server(FERN_IO_EPOLL_ET_ECHO, port);
  expect_survives_resets(port, echo_reply);
  expect_large_messages(port, 4, 1 << 20, echo_reply);
  expect_clean_stop(*server);
}

std::string upper_sb_reply(const std::string& message) { return upper_reply(message) + "_SB"; }

class SelectorsCallback : public ::testing::TestWithParam<const char*> {};

TEST_P(SelectorsCallback, FiftyClientsGetUpperSb) {
  const int port = free_port();
  auto server = start_server(FERN_IO_SELECTORS_CALLBACK, port, {"--selector", GetParam()});
  EXPECT_TRUE(server->wait_for_log(std::string(GetParam()) == "default" ? "EpollSelector" : "Selector"));
  expect_served_at_once(port, 50, 3, upper_sb_reply);
  expect_clean_stop(*server);
}

TEST_P(SelectorsCallback, SurvivesResets) {
  const int port = free_port();
  auto server = start_server(FERN_IO_SELECTORS_CALLBACK, port, {"--selector", GetParam()});
  // A large message is answered per received chunk, so only its size is predictable; the resets and
  // the later clients use request/reply.
  {
    TestClient crasher(port);
    crasher.send_all(make_payload(300'000, 3));
    crasher.reset();
  }
  {
    TestClient idle(port);
    idle.reset();
  }
  expect_served_at_once(port, 5, 2, upper_sb_reply);
  EXPECT_TRUE(server->wait_for_log("unregistered", 2)) << server->log();
  expect_clean_stop(*server);
}

INSTANTIATE_TEST_SUITE_P(EachSelector, SelectorsCallback,
                         ::testing::Values("default", "epoll", "poll", "select"));

TEST(SelectorsCallback, UnknownSelectorIsRefused) {
  ServerProcess server(FERN_IO_SELECTORS_CALLBACK, {"--port", "1", "--selector", "kqueue"});
  const auto status = server.wait_exit(kPatience);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(describe_status(*status), "exited 2");
  EXPECT_NE(server.log().find("unknown selector"), std::string::npos) << server.log();
}

#ifdef FERN_IO_URING_ECHO
class UringEcho : public ::testing::TestWithParam<bool> {
 protected:
  std::unique_ptr<ServerProcess> start(int port) {
    std::vector<std::string> extra;
    if (!GetParam()) extra.push_back("--no-multishot");
    return start_server(FERN_IO_URING_ECHO, port, extra);
  }
};

TEST_P(UringEcho, FiftyClientsWithOneMebibyteEach) {
  const int port = free_port();
  auto server = start(port);
  expect_served_at_once(port, 50, 3, echo_reply);
  expect_large_messages(port, 50, 1 << 20, echo_reply);
  expect_clean_stop(*server);
}

TEST_P(UringEcho, SurvivesResetsAndStopsWithClientsConnected) {
  const int port = free_port();
  auto server = start(port);
  expect_survives_resets(port, echo_reply);
  TestClient lingering(port);  // still connected at shutdown: its recv is in flight in the kernel
  EXPECT_EQ(lingering.exchange("linger", 6), "linger");
  expect_clean_stop(*server);
}

INSTANTIATE_TEST_SUITE_P(AcceptMode, UringEcho, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "multishot" : "one_shot"; });
#endif

}  // namespace
}  // namespace io_models_test
