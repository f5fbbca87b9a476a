// Pipeline: an explicit batch of commands for one connection. command() only encodes locally;
// execute() appends the whole batch to the connection's output at once (so no other caller's
// command lands inside it), parks until every reply has arrived, and returns them in order. Error
// replies are returned as replies (kind error), not thrown, since the others are still good; a
// lost connection or a timeout throws std::system_error for the batch.
//
//   auto pipe = client.pipeline();
//   for (auto& k : keys) pipe.command("GET", k);
//   std::vector<Reply> replies = pipe.execute();
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "fern/base/clock.hpp"
#include "fern/clients/redis/connection.hpp"
#include "fern/clients/redis/proto/command_writer.hpp"
#include "fern/clients/redis/proto/reply.hpp"

namespace fern::redis {

class Pipeline {
 public:
  // The connection must outlive the pipeline.
  explicit Pipeline(Connection& connection) : connection_(&connection) {}

  template <CommandArg... Args>
  Pipeline& command(const Args&... args) {
    encode_command(buffer_, args...);
    ++count_;
    return *this;
  }

  std::size_t size() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }

  // Sends the batch and waits for its replies (bounded by the connection's command timeout, or
  // `timeout`). The pipeline is empty afterwards, ready for the next batch.
  std::vector<Reply> execute() { return execute(connection_->options().command_timeout); }
  std::vector<Reply> execute(Duration timeout) {
    std::vector<Reply> replies;
    execute_into(replies, timeout);
    return replies;
  }
  // The same into `replies` (resized to size()), so a loop can reuse its storage.
  void execute_into(std::vector<Reply>& replies, Duration timeout);
  void execute_into(std::vector<Reply>& replies) {
    execute_into(replies, connection_->options().command_timeout);
  }

  // Drops the queued commands.
  void clear() noexcept {
    buffer_.clear();
    count_ = 0;
  }

 private:
  Connection* connection_;
  std::string buffer_;
  std::size_t count_ = 0;
};

}  // namespace fern::redis
