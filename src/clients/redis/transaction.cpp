#include "fern/clients/redis/transaction.hpp"

#include <string>
#include <vector>

#include "fern/clients/redis/reply_error.hpp"

namespace fern::redis {

std::optional<Reply> Transaction::exec(Duration timeout) {
  // MULTI's +OK, one +QUEUED (or a queuing error) per command, then EXEC's reply.
  std::vector<Reply> replies(count_ + 2);
  const std::string body = std::move(buffer_);
  buffer_.clear();
  count_ = 0;
  if (watching_) *watching_ = false;
  connection_->exchange(replies.data(), replies.size(), timeout, [&](std::string& out) {
    encode_command(out, "MULTI");
    out.append(body);
    encode_command(out, "EXEC");
  });
  Reply& result = replies.back();
  if (replies.front().is_error()) throw ReplyError(replies.front().as_string());
  if (result.is_error()) {
    // EXECABORT: name the command that could not be queued.
    for (std::size_t i = 1; i + 1 < replies.size(); ++i) {
      if (replies[i].is_error()) {
        throw ReplyError(std::string(result.as_string()) + " (command " + std::to_string(i) + ": " +
                         std::string(replies[i].as_string()) + ")");
      }
    }
    throw ReplyError(result.as_string());
  }
  if (result.is_nil()) return std::nullopt;
  return std::move(result);
}

void Transaction::discard() {
  buffer_.clear();
  count_ = 0;
  if (watching_ && *watching_) {
    connection_->command("UNWATCH");
    *watching_ = false;
  }
}

}  // namespace fern::redis
