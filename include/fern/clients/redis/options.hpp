// Options: where a Redis client connects and how it talks: TCP host and port or a Unix socket, the
// credentials and database its handshake sends (AUTH, SELECT, HELLO 3), timeouts, the number of
// shared connections, and the reconnect backoff. A plain value; nothing here blocks.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "fern/base/clock.hpp"
#include "fern/clients/redis/proto/reply.hpp"

namespace fern::redis {

struct Options {
  std::string host = "127.0.0.1";  // a numeric address or a name (resolved without blocking the hub)
  std::uint16_t port = 6379;
  std::string unix_socket;  // when set, used instead of host and port

  std::string username;  // ACL user; empty means "default"
  std::string password;  // sent with AUTH (or HELLO ... AUTH) when not empty
  int db = 0;            // SELECTed after connecting when not 0
  int protocol = 2;      // 3: HELLO 3, replies in RESP3 (maps, doubles, pushes)
  std::string client_name;

  // Bounds connecting plus the handshake.
  Duration connect_timeout = std::chrono::seconds(5);
  // The default bound on each call's wait for its replies (kForever: none). A fern::Timeout scope
  // around a call bounds it as well.
  Duration command_timeout = kForever;

  // Connections a Client shares among its callers; each call goes to the one with the fewest
  // replies pending. One connection already pipelines many callers automatically.
  std::size_t pool_size = 1;
  // Exclusive connections (Client::session) kept open for reuse once returned.
  std::size_t max_idle_sessions = 4;

  // After a failed connect the next attempt waits reconnect_backoff, doubling per failure up to
  // reconnect_backoff_max. A connection lost after it worked is retried at once.
  Duration reconnect_backoff = std::chrono::milliseconds(10);
  Duration reconnect_backoff_max = std::chrono::seconds(1);

  // RESP3 out-of-band pushes (client-side caching invalidations) arriving on a command connection.
  // Called in the connection's reader greenlet; must not block. Unset: pushes are dropped.
  std::function<void(Reply)> on_push;

  // "127.0.0.1:6379" or "unix:/path/redis.sock", for messages.
  std::string endpoint() const {
    return unix_socket.empty() ? host + ":" + std::to_string(port) : "unix:" + unix_socket;
  }
};

}  // namespace fern::redis
