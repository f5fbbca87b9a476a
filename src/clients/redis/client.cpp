#include "fern/clients/redis/client.hpp"

#include <utility>

namespace fern::redis {

Client::Client(Options options) : options_(std::move(options)) {
  const std::size_t n = options_.pool_size == 0 ? 1 : options_.pool_size;
  connections_.reserve(n);
  for (std::size_t i = 0; i < n; ++i) connections_.emplace_back(options_);
}

Client::~Client() = default;

Connection& Client::connection() {
  // Least pending, starting where the last pick left off so equals take turns; an idle one ends
  // the search at once (the common case with a pool as large as the number of callers).
  const std::size_t n = connections_.size();
  std::size_t best = next_ % n;
  std::size_t best_pending = connections_[best].pending();
  for (std::size_t i = 1; i < n && best_pending > 0; ++i) {
    const std::size_t candidate = (next_ + i) % n;
    const std::size_t pending = connections_[candidate].pending();
    if (pending < best_pending) {
      best = candidate;
      best_pending = pending;
    }
  }
  next_ = best + 1;
  return connections_[best];
}

Session Client::session() {
  if (!idle_sessions_.empty()) {
    Connection c = std::move(idle_sessions_.back());
    idle_sessions_.pop_back();
    return Session(*this, std::move(c));
  }
  return Session(*this, Connection(options_));
}

ConnectionStats Client::stats() const noexcept {
  ConnectionStats sum;
  for (const Connection& c : connections_) {
    ConnectionStats s = c.stats();
    sum.commands += s.commands;
    sum.sends += s.sends;
    sum.recvs += s.recvs;
    sum.connects += s.connects;
    sum.losses += s.losses;
  }
  return sum;
}

void Client::give_back(Connection connection, bool reusable) noexcept {
  if (!reusable || idle_sessions_.size() >= options_.max_idle_sessions) return;  // closes it
  try {
    idle_sessions_.push_back(std::move(connection));
  } catch (...) {
    // Out of memory: the connection just closes.
  }
}

Session::Session(Session&& other) noexcept
    : client_(std::exchange(other.client_, nullptr)),
      connection_(std::move(other.connection_)),
      watch_(std::exchange(other.watch_, WatchGuard{})) {}

Session::~Session() {
  if (!client_) return;
  // A WATCH left behind or replies still due would leak into the next borrower's calls.
  const bool reusable = !watch_.watching && connection_.pending() == 0;
  connection_.set_stateful(false);
  client_->give_back(std::move(connection_), reusable);
}

}  // namespace fern::redis
