// Transaction: MULTI, the queued commands and EXEC, sent as one batch on one connection, so the
// commands of other callers sharing that connection cannot land inside it. exec() parks until
// EXEC's reply arrives. With WATCH (on a Session, which owns its connection) exec() reports an
// aborted transaction as nullopt.
//
//   auto tx = client.multi();
//   tx.command("INCR", "hits").command("EXPIRE", "hits", 60);
//   std::optional<Reply> results = tx.exec();   // results->elements()[0] is INCR's reply
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "fern/base/clock.hpp"
#include "fern/clients/redis/connection.hpp"
#include "fern/clients/redis/proto/command_writer.hpp"
#include "fern/clients/redis/proto/reply.hpp"

namespace fern::redis {

// A Session's WATCH: whether keys are watched, and how many connections its Connection had lost
// when they were. A WATCH lives on one connection; once that is lost the keys are unguarded, and a
// transaction sent on the next connection would run as if nothing had been watched.
struct WatchGuard {
  bool watching = false;
  bool lost = false;  // the WATCH went with its connection: calls fail until watch() or unwatch()
  std::uint64_t losses_at_watch = 0;
  // Throws fern::OperationError (not_applied) while the WATCH is lost, noticing the loss first.
  void check(const Connection& connection);
  // A new WATCH (or none): what was lost no longer matters.
  void restart(const Connection& connection, bool watch) noexcept;
};

class Transaction {
 public:
  // The connection must outlive the transaction. `watch` (a Session's) is checked before EXEC goes
  // out and cleared by exec() and discard(), as EXEC and DISCARD end every WATCH.
  explicit Transaction(Connection& connection, WatchGuard* watch = nullptr)
      : connection_(&connection), watch_(watch) {}

  template <CommandArg... Args>
  Transaction& command(const Args&... args) {
    encode_command(buffer_, args...);
    ++count_;
    return *this;
  }
  std::size_t size() const noexcept { return count_; }

  // EXEC's reply: an array with one reply per command (a command that failed while running is an
  // error reply in it), or nullopt when a WATCHed key changed. A command the server refused to
  // queue (wrong arity, unknown) aborts the whole transaction: ReplyError with its message.
  std::optional<Reply> exec() { return exec(connection_->options().command_timeout); }
  std::optional<Reply> exec(Duration timeout);
  // Forgets the queued commands without sending anything; on a Session also UNWATCHes.
  void discard();

 private:
  Connection* connection_;
  WatchGuard* watch_;
  std::string buffer_;
  std::size_t count_ = 0;
};

}  // namespace fern::redis
