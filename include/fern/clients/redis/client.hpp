// Client: fern's Redis client, what an application holds. It owns a pool of Options::pool_size
// shared connections, each pipelining its callers automatically (see Connection), and sends each
// call to the one with the fewest replies pending; it lends exclusive connections as Sessions.
// Typed helpers (get, set, hgetall, zadd, scan, ...) come from CommandSet; command(args...) sends
// anything. Every call parks only the calling greenlet, bounded by Options::command_timeout (or
// with_timeout(d) for some calls, or any fern::Timeout scope). Failures are std::system_error
// (connection lost, timeout, malformed reply) or ReplyError (the server said no); after a lost
// connection the next call reconnects.
//
//   fern::redis::Client redis({.port = 6379});
//   redis.set("greeting", "hello");
//   std::optional<std::string> v = redis.get("greeting");
//
// One Client belongs to one thread's hub, like every fern object.
#pragma once

#include <cstddef>
#include <vector>

#include "fern/base/clock.hpp"
#include "fern/clients/redis/commands.hpp"
#include "fern/clients/redis/connection.hpp"
#include "fern/clients/redis/options.hpp"
#include "fern/clients/redis/pipeline.hpp"
#include "fern/clients/redis/session.hpp"
#include "fern/clients/redis/transaction.hpp"

namespace fern::redis {

class Client : public CommandSet<Client> {
 public:
  // Connects lazily: the first call on each connection does.
  explicit Client(Options options = {});
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  // Closes every connection; calls still pending fail with fern::Errc::closed.
  ~Client();

  template <CommandArg... Args>
  Reply command(const Args&... args) {
    return connection().command(args...);
  }

  // The same helpers with their own bound on the wait: client.with_timeout(50ms).get("k").
  class Timed : public CommandSet<Timed> {
   public:
    template <CommandArg... Args>
    Reply command(const Args&... args) {
      return client_->connection().command_for(timeout_, args...);
    }

   private:
    friend class Client;
    Timed(Client& client, Duration timeout) : client_(&client), timeout_(timeout) {}
    Client* client_;
    Duration timeout_;
  };
  Timed with_timeout(Duration timeout) { return Timed(*this, timeout); }

  // The shared connection with the fewest pending replies (round robin among equals).
  Connection& connection();
  // A batch for one shared connection; see Pipeline.
  Pipeline pipeline() { return Pipeline(connection()); }
  // MULTI ... EXEC as one batch on a shared connection; for WATCH use a Session.
  Transaction multi() { return Transaction(connection()); }
  // An exclusive connection (an idle one reused, or a new one).
  Session session();

  const Options& options() const noexcept { return options_; }
  std::size_t pool_size() const noexcept { return connections_.size(); }
  // The sum over the shared connections.
  ConnectionStats stats() const noexcept;

 private:
  friend class Session;
  void give_back(Connection connection, bool reusable) noexcept;

  Options options_;
  std::vector<Connection> connections_;
  std::vector<Connection> idle_sessions_;
  std::size_t next_ = 0;
};

}  // namespace fern::redis
