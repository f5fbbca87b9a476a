// Session: a connection a Client lends to one greenlet alone, for what must not share a connection
// with other callers: WATCH ... MULTI ... EXEC (EXEC from anyone else on the connection would end
// the WATCH), blocking commands (BLPOP would hold every other caller's reply behind it), or state
// set per connection (CLIENT TRACKING). Calls block as Connection's do. On destruction the
// connection goes back to the Client for reuse, or is closed if it may still hold state (a WATCH
// without EXEC, replies pending). The Client must outlive its sessions.
#pragma once

#include "fern/clients/redis/commands.hpp"
#include "fern/clients/redis/connection.hpp"
#include "fern/clients/redis/pipeline.hpp"
#include "fern/clients/redis/transaction.hpp"

namespace fern::redis {

class Client;

class Session : public CommandSet<Session> {
 public:
  Session(Session&& other) noexcept;
  Session& operator=(Session&&) = delete;
  ~Session();

  // While keys are watched, a call finds out first whether the WATCH's connection was lost
  // (fern::OperationError, not_applied: WATCH again) rather than run on a new one without it.
  template <CommandArg... Args>
  Reply command(const Args&... args) {
    watch_.check(connection_);
    return connection_.command(args...);
  }

  // WATCH the keys until the next exec() or discard() of a transaction from multi().
  // After a lost WATCH this starts a new one (on the new connection).
  template <CommandArg... Keys>
  void watch(const Keys&... keys) {
    if (watch_.watching) watch_.check(connection_);  // adding keys to a WATCH that must still hold
    connection_.command("WATCH", keys...);
    watch_.restart(connection_, true);
  }
  void unwatch() {
    watch_.restart(connection_, false);
    connection_.command("UNWATCH");
  }
  bool watching() const noexcept { return watch_.watching; }

  Transaction multi() { return Transaction(connection_, &watch_); }
  Pipeline pipeline() { return Pipeline(connection_); }
  Connection& connection() noexcept { return connection_; }

 private:
  friend class Client;
  Session(Client& client, Connection connection) noexcept
      : client_(&client), connection_(std::move(connection)) {
    connection_.set_stateful(true);
  }

  Client* client_;
  Connection connection_;
  WatchGuard watch_;
};

}  // namespace fern::redis
