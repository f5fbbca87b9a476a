// Shared pieces of the Redis client tests: one redis-server per test binary, Options pointing at
// it, and FakeServer, a server in a fern greenlet that answers each connection with a script (to
// send malformed bytes, close mid-reply, or answer only some commands).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fern/clients/redis/options.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/net/socket.hpp"
#include "servers.hpp"

namespace fern_redis_test {

// Started on first use, stopped at exit. Tests that kill or restart a server start their own.
fern_test::RedisServer& shared_server();

fern::redis::Options tcp_options(const fern_test::RedisServer& server, int protocol = 2);
fern::redis::Options unix_options(const fern_test::RedisServer& server, int protocol = 2);

// Deletes every key on the shared server (blocking client: runs before any greenlet exists).
void flush_shared_server();

class FakeServer {
 public:
  // `script` runs in its own greenlet for each accepted connection, with the connection's index.
  using Script = std::function<void(fern::net::Socket&, int)>;
  explicit FakeServer(Script script);
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;
  ~FakeServer();

  std::uint16_t port() const { return port_; }
  int accepted() const { return accepted_; }
  fern::redis::Options options() const;

  // Reads one command (a RESP array of bulk strings) from `peer`; empty at end of stream.
  static std::vector<std::string> read_command(fern::net::Socket& peer, std::string& buffer);

 private:
  fern::net::Socket listener_;
  std::uint16_t port_ = 0;
  int accepted_ = 0;
  fern::GreenletRef<> acceptor_;
  std::vector<fern::GreenletRef<>> sessions_;
};

}  // namespace fern_redis_test
