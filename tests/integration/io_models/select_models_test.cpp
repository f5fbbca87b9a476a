// L6 select upper-case server, L9 select over two ports and L10 chat, run as real processes.
#include <dirent.h>
#include <gtest/gtest.h>

#include <string>

#include "scenarios.hpp"

namespace io_models_test {
namespace {

TEST(SelectUpper, ServesFiftyClientsAtOnceInUpperCase) {
  const int port = free_port();
  auto server = start_server(FERN_IO_SELECT_UPPER, port);
  expect_served_at_once(port, 50, 3, upper_reply);
  expect_clean_stop(*server);
}

TEST(SelectUpper, LargeMessagesAndCleanDisconnects) {
  const int port = free_port();
  auto server = start_server(FERN_IO_SELECT_UPPER, port);
  expect_large_messages(port, 8, 1 << 20, upper_reply);
  ASSERT_TRUE(server->wait_for_log("removed from the lists", 8)) << server->log();
  expect_survives_resets(port, upper_reply);
  // Every client that left, politely or by reset, was taken off the lists: 8 + 3 resets + 5.
  EXPECT_TRUE(server->wait_for_log("removed from the lists", 16)) << server->log();
  expect_clean_stop(*server);
}

int thread_count(pid_t pid) {
  int count = 0;
  if (DIR* tasks = ::opendir(("/proc/" + std::to_string(pid) + "/task").c_str())) {
    while (dirent* entry = ::readdir(tasks)) count += entry->d_name[0] != '.';
    ::closedir(tasks);
  }
  return count;
}

TEST(SelectTwoPorts, OneThreadServesBothPorts) {
  const int port = free_port();
  int port2 = free_port();
  while (port2 == port) port2 = free_port();
  auto server = start_server(FERN_IO_SELECT_TWO_PORTS, port, {"--port2", std::to_string(port2)});
  std::vector<TestClient> clients;
  for (int i = 0; i < 50; ++i) clients.emplace_back(i % 2 ? port2 : port);
  const auto failures = run_concurrently(50, [&](int i) {
    TestClient& client = clients[static_cast<std::size_t>(i)];
    const std::string greeting = "i am server on port " + std::to_string(i % 2 ? port2 : port) + "\n";
    const std::string got = client.recv_exact(greeting.size());
    if (got != greeting) throw std::runtime_error("greeted with \"" + got + "\"");
    const std::string message = "message from client " + std::to_string(i);
    if (client.exchange(message, message.size()) != message) throw std::runtime_error("bad echo");
  });
  EXPECT_TRUE(failures.empty()) << failures.size() << " failures, first: " << failures.front();
  EXPECT_EQ(thread_count(server->pid()), 1);
  clients.front().reset();
  clients.back().close();
  TestClient after(port2);
  EXPECT_EQ(after.recv_until("\n"), "i am server on port " + std::to_string(port2) + "\n");
  expect_clean_stop(*server);
}

TEST(Chat, OperatorAnswersTheClientWhoSpokeLast) {
  const int port = free_port();
  auto server = start_server(FERN_IO_CHAT, port, {}, /*with_stdin_pipe=*/true);
  TestClient alice(port);
  alice.send_all("hello from alice\n");
  ASSERT_TRUE(server->wait_for_log("client 1 says: hello from alice")) << server->log();
  server->write_stdin("hi alice\n");
  EXPECT_EQ(alice.recv_until("\n"), "hi alice\n");

  TestClient bob(port);
  bob.send_all("bob here\n");
  ASSERT_TRUE(server->wait_for_log("client 2 says: bob here")) << server->log();
  server->write_stdin("hi bob\n");
  EXPECT_EQ(bob.recv_until("\n"), "hi bob\n");
  EXPECT_FALSE(alice.readable_within(100ms));  // the answer went to bob only

  alice.send_all("alice again\n");
  ASSERT_TRUE(server->wait_for_log("client 1 says: alice again")) << server->log();
  server->write_stdin("back to you, alice\n");
  EXPECT_EQ(alice.recv_until("\n"), "back to you, alice\n");
  expect_clean_stop(*server);
}

TEST(Chat, FiftyClientsEachGetTheirAnswer) {
  const int port = free_port();
  auto server = start_server(FERN_IO_CHAT, port, {}, /*with_stdin_pipe=*/true);
  std::vector<TestClient> clients;
  for (int i = 0; i < 50; ++i) clients.emplace_back(port);
  for (int i = 0; i < 50; ++i) {
    const std::string id = std::to_string(i);
    clients[static_cast<std::size_t>(i)].send_all("question " + id + "\n");
    ASSERT_TRUE(server->wait_for_log("says: question " + id + "\n")) << server->log();
    server->write_stdin("answer " + id + "\n");
    EXPECT_EQ(clients[static_cast<std::size_t>(i)].recv_until("\n"), "answer " + id + "\n");
  }
  expect_clean_stop(*server);
}

TEST(Chat, ResetsAndTheEndOfStdin) {
  const int port = free_port();
  auto server = start_server(FERN_IO_CHAT, port, {}, /*with_stdin_pipe=*/true);
  {
    TestClient carol(port);
    carol.send_all("carol, about to crash\n");
    ASSERT_TRUE(server->wait_for_log("says: carol, about to crash")) << server->log();
    carol.reset();
  }
  ASSERT_TRUE(server->wait_for_log("Connection reset by peer")) << server->log();
  server->write_stdin("anyone?\n");  // the last speaker is gone
  EXPECT_TRUE(server->wait_for_log("no client to answer")) << server->log();

  server->close_stdin();
  EXPECT_TRUE(server->wait_for_log("operator's stdin closed")) << server->log();
  TestClient dave(port);
  dave.send_all("dave, after the operator left\n");
  EXPECT_TRUE(server->wait_for_log("says: dave, after the operator left")) << server->log();
  expect_clean_stop(*server);
}

}  // namespace
}  // namespace io_models_test
