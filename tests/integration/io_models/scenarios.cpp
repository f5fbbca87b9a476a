#include "scenarios.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cctype>

namespace io_models_test {

std::string echo_reply(const std::string& message) { return message; }

std::string upper_reply(const std::string& message) {
  std::string upper = message;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper;
}

std::unique_ptr<ServerProcess> start_server(const std::string& binary, int port,
                                            const std::vector<std::string>& extra, bool with_stdin_pipe) {
  std::vector<std::string> args{"--port", std::to_string(port)};
  args.insert(args.end(), extra.begin(), extra.end());
  auto server = std::make_unique<ServerProcess>(binary, args, with_stdin_pipe);
  server->wait_until_listening();
  return server;
}

void expect_served_at_once(int port, int clients, int rounds, const Reply& reply) {
  std::vector<TestClient> connections;
  connections.reserve(static_cast<std::size_t>(clients));
  for (int i = 0; i < clients; ++i) connections.emplace_back(port);
  const auto failures = run_concurrently(clients, [&](int i) {
    for (int round = 0; round < rounds; ++round) {
      const std::string message =
          "client " + std::to_string(i) + " round " + std::to_string(round) + " says hello";
      const std::string expected = reply(message);
      const std::string got = connections[static_cast<std::size_t>(i)].exchange(message, expected.size());
      if (got != expected) throw std::runtime_error("sent \"" + message + "\", got \"" + got + "\"");
    }
  });
  EXPECT_TRUE(failures.empty()) << failures.size() << " failures, first: " << failures.front();
}

void expect_large_messages(int port, int clients, std::size_t size, const Reply& reply) {
  const auto failures = run_concurrently(clients, [&](int i) {
    TestClient client(port);
    const std::string message = make_payload(size, static_cast<unsigned>(i) + 1);
    const std::string expected = reply(message);
    const std::string got = client.exchange(message, expected.size());
    if (got != expected) throw std::runtime_error("a " + std::to_string(size) + "-byte reply differs");
  });
  EXPECT_TRUE(failures.empty()) << failures.size() << " failures, first: " << failures.front();
}

void expect_survives_resets(int port, const Reply& reply, int clients_after) {
  {
    TestClient mid_request(port);  // sends part of a large message, then vanishes
    mid_request.send_all(make_payload(200'000, 7));
    mid_request.reset();
  }
  {
    TestClient mid_reply(port);  // reads a little of a large reply, then vanishes
    const std::string message = make_payload(1 << 20, 8);
    mid_reply.exchange(message, 1000);
    mid_reply.reset();
  }
  {
    TestClient idle(port);  // connects and resets without a word
    idle.reset();
  }
  expect_served_at_once(port, clients_after, 2, reply);
}

void expect_clean_stop(ServerProcess& server) {
  const int status = server.stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "server " << describe_status(status) << "; its output:\n"
      << server.log();
}

}  // namespace io_models_test
