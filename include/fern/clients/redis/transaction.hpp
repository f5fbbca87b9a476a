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
#include <optional>
#include <string>

#include "fern/base/clock.hpp"
#include "fern/clients/redis/connection.hpp"
#include "fern/clients/redis/proto/command_writer.hpp"
#include "fern/clients/redis/proto/reply.hpp"

namespace fern::redis {

class Transaction {
 public:
  // The connection must outlive the transaction. `watching` (a Session's flag) is cleared by
  // exec() and discard(), as EXEC and DISCARD end every WATCH.
  explicit Transaction(Connection& connection, bool* watching = nullptr)
      : connection_(&connection), watching_(watching) {}

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
  bool* watching_;
  std::string buffer_;
  std::size_t count_ = 0;
};

}  // namespace fern::redis
