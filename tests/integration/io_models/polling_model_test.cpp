// L8 non-blocking polling echo: it works, and it says what it costs.
#include <gtest/gtest.h>

#include <string>

#include "scenarios.hpp"

namespace io_models_test {
namespace {

TEST(NonblockingPollEcho, ServesFiftyClientsAtOnce) {
  const int port = free_port();
  auto server = start_server(FERN_IO_NONBLOCKING_POLL_ECHO, port);
  expect_served_at_once(port, 50, 3, echo_reply);
  expect_clean_stop(*server);
}

TEST(NonblockingPollEcho, LargeMessagesResetsAndTheCpuReport) {
  const int port = free_port();
  auto server = start_server(FERN_IO_NONBLOCKING_POLL_ECHO, port);
  expect_large_messages(port, 4, 1 << 20, echo_reply);
  expect_survives_resets(port, echo_reply);
  // The spinning shows up in its own report, printed every second and at exit.
  EXPECT_TRUE(server->wait_for_log("L8 cpu (so far)")) << server->log();
  expect_clean_stop(*server);
  const std::string log = server->log();
  EXPECT_NE(log.find("L8 cpu (at exit)"), std::string::npos) << log;
  EXPECT_NE(log.find("would-block answers"), std::string::npos) << log;
}

TEST(NonblockingPollEcho, IdleSleepVariantStillServes) {
  const int port = free_port();
  auto server = start_server(FERN_IO_NONBLOCKING_POLL_ECHO, port, {"--idle-sleep-us", "1000"});
  expect_served_at_once(port, 10, 2, echo_reply);
  expect_clean_stop(*server);
}

}  // namespace
}  // namespace io_models_test
