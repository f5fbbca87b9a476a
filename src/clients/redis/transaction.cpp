#include "fern/clients/redis/transaction.hpp"

#include <string>
#include <vector>

#include "fern/base/error.hpp"
#include "fern/base/outcome.hpp"
#include "fern/clients/redis/reply_error.hpp"

namespace fern::redis {

std::optional<Reply> Transaction::exec(Duration timeout) {
  // MULTI's +OK, one +QUEUED (or a queuing error) per command, then EXEC's reply.
  std::vector<Reply> replies(count_ + 2);
  const std::string body = std::move(buffer_);
  buffer_.clear();
  count_ = 0;
  if (watch_) watch_->check(*connection_);  // never EXEC unguarded on a connection that lacks the WATCH
  connection_->exchange(replies.data(), replies.size(), timeout, [&](std::string& out) {
    encode_command(out, "MULTI");
    out.append(body);
    encode_command(out, "EXEC");
  });
  // EXEC ended the WATCH. Had the exchange failed, the guard would stay up: the connection is lost,
  // and the next call learns so from check().
  if (watch_) watch_->watching = false;
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

void WatchGuard::check(const Connection& connection) {
  if (watching && connection.stats().losses != losses_at_watch) {
    watching = false;
    lost = true;
  }
  if (!lost) return;
  throw OperationError(make_error_code(fern::Errc::closed),
                       "redis: the connection holding this Session's WATCH was lost, so the watched keys are "
                       "no longer guarded: WATCH them again",
                       Outcome::not_applied);
}

void WatchGuard::restart(const Connection& connection, bool watch) noexcept {
  if (watch && watching) return;  // more keys for the same WATCH
  watching = watch;
  lost = false;
  losses_at_watch = connection.stats().losses;
}

void Transaction::discard() {
  buffer_.clear();
  count_ = 0;
  if (watch_ && (watch_->watching || watch_->lost)) {
    const bool send_unwatch = watch_->watching;
    watch_->restart(*connection_, false);
    if (send_unwatch) connection_->command("UNWATCH");
  }
}

}  // namespace fern::redis
