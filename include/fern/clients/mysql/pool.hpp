// Pool: a bounded set of Connections shared by many greenlets. acquire() lends one exclusively
// (a Lease) and parks the caller while all are lent, up to acquire_timeout. A connection comes back
// clean: an open transaction is rolled back when the Lease ends, and the session is reset
// (COM_RESET_CONNECTION) before the next borrower sees it. One idle for check_idle_after is pinged
// first, one older than max_lifetime is replaced, and a broken one is dropped, so borrowers get a
// working connection or a connect error. From aio tasks, call it through fern::aio's in_greenlet
// bridge like any parking call.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "fern/base/clock.hpp"
#include "fern/clients/mysql/connection.hpp"
#include "fern/clients/mysql/options.hpp"
#include "fern/sync/semaphore.hpp"

namespace fern::mysql {

struct PoolOptions {
  std::size_t max_size = 16;
  Duration acquire_timeout = std::chrono::seconds(30);
  Duration check_idle_after = std::chrono::seconds(5);  // ping a connection idle this long before lending it
  Duration max_lifetime = std::chrono::minutes(30);     // replace connections older than this
  bool reset_session = true;                            // COM_RESET_CONNECTION between borrowers
};

class Pool {
 public:
  class Lease {
   public:
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), conn_(std::move(other.conn_)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (pool_) pool_->give_back(std::move(conn_));
    }
    Connection& operator*() const noexcept { return *conn_; }
    Connection* operator->() const noexcept { return conn_.get(); }

   private:
    friend class Pool;
    Lease(Pool* pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}
    Pool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  explicit Pool(Options options, PoolOptions pool_options = {});
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  // Leases must end before the Pool does.
  ~Pool();

  // Throws mysql::Error: Errc::timed_out (not applied) when none is free within acquire_timeout, or
  // the connect error of a new connection.
  Lease acquire();
  template <class F>
  decltype(auto) with(F&& f) {
    Lease lease = acquire();
    return std::forward<F>(f)(*lease);
  }

  std::size_t idle() const noexcept { return idle_.size(); }
  std::size_t in_use() const noexcept { return in_use_; }

  struct Stats {
    std::size_t created = 0;
    std::size_t dropped = 0;  // broken, failed their check, or too old
    std::size_t health_checks = 0;
    std::size_t resets = 0;
  };
  const Stats& stats() const noexcept { return stats_; }

 private:
  struct Idle {
    std::unique_ptr<Connection> conn;
    TimePoint since;
  };
  void give_back(std::unique_ptr<Connection> conn) noexcept;
  std::unique_ptr<Connection> take_idle();
  bool too_old(const Connection& c) const noexcept;

  Options options_;
  PoolOptions pool_options_;
  Semaphore slots_;
  std::vector<Idle> idle_;
  std::size_t in_use_ = 0;
  Stats stats_;
};

}  // namespace fern::mysql
