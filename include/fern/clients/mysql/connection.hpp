// Connection: one cooperative MariaDB/MySQL connection. Every call runs MariaDB Connector/C's
// non-blocking API and parks only the calling greenlet while the server answers, so thousands of
// greenlets can each hold a connection in one thread. Values never go into SQL text: execute()
// sends them to a server-side prepared statement, kept per connection by SQL text.
//
// Failures throw mysql::Error (the server's code and SQLSTATE, or a connection error) saying
// whether the statement was applied; a fern::Timeout scope throws TimeoutError. A call that loses
// the connection or is abandoned mid-flight (timeout, kill) closes it and asks the server, on a side
// connection, to stop the statement; the next call connects again. Nothing is ever sent twice.
//
// One greenlet at a time: a second caller while a call or a Cursor is in progress gets
// std::system_error (Errc::invalid_argument). Share connections through a Pool.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "fern/base/clock.hpp"
#include "fern/clients/mysql/cursor.hpp"
#include "fern/clients/mysql/error.hpp"
#include "fern/clients/mysql/options.hpp"
#include "fern/clients/mysql/result.hpp"
#include "fern/clients/mysql/transaction.hpp"
#include "fern/clients/mysql/value.hpp"

namespace fern::mysql {

class Session;

class Connection {
 public:
  // Does not connect: the first call (or connect()) does.
  explicit Connection(Options options);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Connects now (if not connected). Throws mysql::Error with Outcome::not_applied.
  void connect();
  bool connected() const noexcept;
  // Says goodbye to the server (COM_QUIT) without waiting; the next call connects again.
  void close() noexcept;

  // A text-protocol statement (no parameters). With several ';'-separated statements, query()
  // returns the first result and reads (and checks) the others; query_multi() returns them all.
  Result query(std::string_view sql);
  std::vector<Result> query_multi(std::string_view sql);
  Cursor query_stream(std::string_view sql);

  // A prepared statement with `?` placeholders bound to `params` (see Value for the types).
  template <class... P>
  Result execute(std::string_view sql, const P&... params) {
    std::array<Value, sizeof...(P)> values{Value(params)...};
    return execute_values(sql, values);
  }
  Result execute_values(std::string_view sql, std::span<const Value> params);
  template <class... P>
  Cursor stream(std::string_view sql, const P&... params) {
    std::array<Value, sizeof...(P)> values{Value(params)...};
    return stream_values(sql, values);
  }
  Cursor stream_values(std::string_view sql, std::span<const Value> params);
  // Runs the prepared statement once per parameter row, in order, and returns the affected rows in
  // total. Not atomic by itself: on an error the rows before the failing one stay applied (the
  // error's message names the failing row's index). Run it in a transaction for all or nothing.
  std::uint64_t executemany(std::string_view sql, std::span<const std::vector<Value>> rows);

  // START TRANSACTION; see Transaction.
  Transaction transaction();

  void ping();
  // COM_RESET_CONNECTION: rolls back, drops temporary tables, user variables and session settings,
  // and (as a consequence) the prepared statements this connection had cached.
  void reset();

  // The server's id for this connection (0 when not connected).
  std::uint64_t thread_id() const noexcept;
  // The server says a transaction is open on this connection (as of its last reply).
  bool in_transaction() const noexcept;
  // When the current connection was made (for pools' max lifetime).
  TimePoint connected_at() const noexcept;
  const Options& options() const noexcept;

  struct Stats {
    std::uint64_t connects = 0;
    std::uint64_t prepares = 0;  // statements prepared (cache misses)
    std::uint64_t cancels = 0;   // statements abandoned mid-flight and killed on the server
  };
  const Stats& stats() const noexcept;

 private:
  friend class Transaction;
  std::unique_ptr<Session> session_;
};

}  // namespace fern::mysql
