// The servers other integration tests rely on start on their ports, answer a real client, and stop.
#include "servers.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace fern_test {
namespace {

std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return out;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  ::pclose(pipe);
  return out;
}

TEST(TestServers, RedisAnswersOverTcpAndUnixSocketAndRestarts) {
  RedisServer redis;
  EXPECT_EQ(run("redis-cli -p " + std::to_string(redis.port()) + " ping"), "PONG\n");
  EXPECT_EQ(run("redis-cli -s " + redis.unix_socket() + " set k v"), "OK\n");
  redis.restart();
  EXPECT_EQ(run("redis-cli -p " + std::to_string(redis.port()) + " exists k"), "0\n");
}

TEST(TestServers, MariadbAnswersAQuery) {
  MariadbServer db;
  EXPECT_EQ(
      run("mariadb --no-defaults -uroot --socket=" + db.unix_socket() + " -N -e 'select 40+2' fern_test"),
      "42\n");
}

TEST(TestServers, NginxServesTheGivenBlock) {
  NginxServer nginx("location / { return 200 \"hello\"; }");
  EXPECT_EQ(run("curl -s http://127.0.0.1:" + std::to_string(nginx.port()) + "/"), "hello");
}

}  // namespace
}  // namespace fern_test
