#include "fern/clients/mysql/pool.hpp"

#include "fern/base/error.hpp"

namespace fern::mysql {

Pool::Pool(Options options, PoolOptions pool_options)
    : options_(std::move(options)), pool_options_(pool_options), slots_(pool_options.max_size) {}

Pool::~Pool() = default;

bool Pool::too_old(const Connection& c) const noexcept {
  return pool_options_.max_lifetime != kForever &&
         Clock::now() - c.connected_at() > pool_options_.max_lifetime;
}

Pool::Lease Pool::acquire() {
  if (!slots_.acquire(pool_options_.acquire_timeout))
    throw Error(make_error_code(Errc::timed_out),
                "fern::mysql: no pooled connection to " + options_.endpoint() + " became free in time",
                "HY000", Outcome::not_applied);
  try {
    std::unique_ptr<Connection> conn = take_idle();
    if (!conn) {
      conn = std::make_unique<Connection>(options_);
      conn->connect();
      ++stats_.created;
    }
    ++in_use_;
    return Lease(this, std::move(conn));
  } catch (...) {
    slots_.release();
    throw;
  }
}

// The most recently returned idle connection that passes its checks, or null.
std::unique_ptr<Connection> Pool::take_idle() {
  while (!idle_.empty()) {
    Idle entry = std::move(idle_.back());
    idle_.pop_back();
    Connection& c = *entry.conn;
    try {
      if (!c.connected() || too_old(c)) {
        ++stats_.dropped;
        continue;
      }
      if (pool_options_.reset_session) {
        c.reset();  // also proves the connection alive
        ++stats_.resets;
      } else if (Clock::now() - entry.since >= pool_options_.check_idle_after) {
        ++stats_.health_checks;
        c.ping();
      }
      return std::move(entry.conn);
    } catch (const Error&) {
      ++stats_.dropped;  // dead or refused: drop it and try the next
    }
  }
  return nullptr;
}

void Pool::give_back(std::unique_ptr<Connection> conn) noexcept {
  --in_use_;
  if (conn && conn->connected() && conn->in_transaction()) {
    // Left open by raw BEGIN: roll back now, so no locks are held while the connection idles.
    try {
      conn->query("ROLLBACK");
    } catch (...) {
      conn.reset();
    }
  }
  if (conn && conn->connected() && !too_old(*conn)) {
    idle_.push_back(Idle{std::move(conn), Clock::now()});
  } else {
    ++stats_.dropped;
  }
  slots_.release();
}

}  // namespace fern::mysql
