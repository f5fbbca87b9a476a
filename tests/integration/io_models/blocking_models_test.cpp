// L7 blocking echo and its thread-per-client answer, run as real processes.
#include <gtest/gtest.h>

#include <string>

#include "scenarios.hpp"

namespace io_models_test {
namespace {

TEST(BlockingEcho, SecondClientIsServedOnlyAfterTheFirstLeaves) {
  const int port = free_port();
  auto server = start_server(FERN_IO_BLOCKING_ECHO, port);
  TestClient first(port);
  EXPECT_EQ(first.exchange("first-1", 7), "first-1");
  ASSERT_TRUE(server->wait_for_log("client #1"));

  TestClient second(port);  // connect() succeeds: the kernel queues it in the listen backlog
  second.send_all("second");
  EXPECT_EQ(first.exchange("first-2", 7), "first-2");  // the server is still busy with the first
  // Nothing comes back to the second client while the first is connected. (Waiting longer could only
  // make a wrong server fail more surely; a correct one never answers here.)
  EXPECT_FALSE(second.readable_within(300ms));
  EXPECT_EQ(server->log().find("client #2"), std::string::npos) << server->log();

  first.close();
  EXPECT_EQ(second.recv_exact(6), "second");
  const std::string log = server->log();
  const auto first_closed = log.find("client #1 ");
  const auto first_left = log.find("closed", first_closed);
  const auto second_accepted = log.find("client #2 ");
  ASSERT_NE(second_accepted, std::string::npos) << log;
  EXPECT_LT(first_left, second_accepted) << log;
  expect_clean_stop(*server);
}

TEST(BlockingEcho, EchoesOneMebibyteAndSurvivesResets) {
  const int port = free_port();
  auto server = start_server(FERN_IO_BLOCKING_ECHO, port);
  expect_large_messages(port, 1, 1 << 20, echo_reply);
  expect_survives_resets(port, echo_reply, /*clients_after=*/1);
  expect_large_messages(port, 1, 1 << 20, echo_reply);
  expect_clean_stop(*server);
}

TEST(BlockingEcho, MaxClientsEndsTheServer) {
  const int port = free_port();
  auto server = start_server(FERN_IO_BLOCKING_ECHO, port, {"--max-clients", "2"});
  for (int i = 0; i < 2; ++i) {
    TestClient client(port);
    EXPECT_EQ(client.exchange("bye", 3), "bye");
  }
  const auto status = server->wait_exit(kPatience);
  ASSERT_TRUE(status.has_value()) << "still running after two clients";
  EXPECT_EQ(describe_status(*status), "exited 0") << server->log();
  EXPECT_NE(server->log().find("served 2 clients"), std::string::npos) << server->log();
}

TEST(BlockingEcho, RejectsBadFlags) {
  ServerProcess server(FERN_IO_BLOCKING_ECHO, {"--port", "not-a-number"});
  const auto status = server.wait_exit(kPatience);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(describe_status(*status), "exited 2");
  EXPECT_NE(server.log().find("--port wants a non-negative integer"), std::string::npos) << server.log();
}

TEST(ThreadPerClientEcho, ServesFiftyClientsAtOnce) {
  const int port = free_port();
  auto server = start_server(FERN_IO_THREAD_PER_CLIENT_ECHO, port);
  expect_served_at_once(port, 50, 3, echo_reply);
  expect_clean_stop(*server);
}

TEST(ThreadPerClientEcho, LargeMessagesAndResets) {
  const int port = free_port();
  auto server = start_server(FERN_IO_THREAD_PER_CLIENT_ECHO, port);
  expect_large_messages(port, 8, 1 << 20, echo_reply);
  expect_survives_resets(port, echo_reply);
  // Stopping with clients still connected: their threads are woken and joined.
  TestClient lingering(port);
  EXPECT_EQ(lingering.exchange("still here", 10), "still here");
  expect_clean_stop(*server);
}

}  // namespace
}  // namespace io_models_test
