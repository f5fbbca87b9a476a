#include "fern/clients/mysql/connection.hpp"

#include "fern/base/error.hpp"
#include "row_source.hpp"
#include "session.hpp"
#include "statement.hpp"

namespace fern::mysql {

namespace {

// Runs `f` on `source`; a failure that leaves unread rows closes the connection (see Cursor).
template <class F>
auto in_step(Session& session, RowSource& source, F&& f) {
  try {
    return f();
  } catch (...) {
    if (!source.finished_ && session.usable()) {
      session.shut_socket();
      session.mark_lost();
    }
    throw;
  }
}

std::vector<Result> read_all(Session& session, RowSource& source) {
  return in_step(session, source, [&] {
    std::vector<Result> results;
    results.push_back(source.collect());
    while (source.next_result()) results.push_back(source.collect());
    return results;
  });
}

}  // namespace

Connection::Connection(Options options) : session_(std::make_unique<Session>(std::move(options))) {}

Connection::~Connection() = default;

void Connection::connect() { Session::Call call(*session_, false); }

bool Connection::connected() const noexcept { return session_->usable(); }

void Connection::close() noexcept {
  if (!session_->busy_ && !session_->cursor_open_) session_->close_now();
}

Result Connection::query(std::string_view sql) {
  Session::Call call(*session_);
  TextSource source(*session_, sql);
  return in_step(*session_, source, [&] {
    Result first = source.collect();
    while (source.next_result()) source.collect();  // read, and let a failing later statement throw
    return first;
  });
}

std::vector<Result> Connection::query_multi(std::string_view sql) {
  Session::Call call(*session_);
  TextSource source(*session_, sql);
  return read_all(*session_, source);
}

Cursor Connection::query_stream(std::string_view sql) {
  Session::Call call(*session_);
  auto source = std::make_unique<TextSource>(*session_, sql);
  return Cursor(*session_, std::move(source));
}

Result Connection::execute_values(std::string_view sql, std::span<const Value> params) {
  Session::Call call(*session_);
  StmtSource source(*session_, session_->prepare(sql), params);
  return in_step(*session_, source, [&] {
    Result first = source.collect();
    while (source.next_result()) source.collect();
    return first;
  });
}

Cursor Connection::stream_values(std::string_view sql, std::span<const Value> params) {
  Session::Call call(*session_);
  auto source = std::make_unique<StmtSource>(*session_, session_->prepare(sql), params);
  return Cursor(*session_, std::move(source));
}

std::uint64_t Connection::executemany(std::string_view sql, std::span<const std::vector<Value>> rows) {
  Session::Call call(*session_);
  Statement& statement = session_->prepare(sql);
  std::uint64_t affected = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    try {
      StmtSource source(*session_, statement, rows[i]);
      in_step(*session_, source, [&] {
        Result r = source.collect();
        while (source.next_result()) source.collect();
        affected += r.affected_rows;
        return 0;
      });
    } catch (const Error& e) {
      throw Error(e.code(), std::string(e.what()) + " (executemany row " + std::to_string(i) + ")",
                  e.sqlstate(), e.outcome())
          .lost(e.connection_lost());
    }
  }
  return affected;
}

Transaction Connection::transaction() {
  Session::Call call(*session_);
  if (session_->tx_open_) throw_error(Errc::invalid_argument, "fern::mysql: a transaction is already open");
  session_->simple_query("START TRANSACTION", Outcome::unknown);
  session_->tx_open_ = true;
  return Transaction(*this, ++session_->tx_epoch_);
}

void Connection::ping() {
  Session::Call call(*session_);
  int err = 0;
  MYSQL* m = session_->handle();
  session_->drive([&] { return mysql_ping_start(&err, m); },
                  [&](int ready) { return mysql_ping_cont(&err, m, ready); }, Outcome::not_applied);
  if (err) session_->fail(Outcome::not_applied);
}

void Connection::reset() {
  Session::Call call(*session_);
  if (session_->tx_open_) throw_error(Errc::invalid_argument, "fern::mysql: reset() inside a Transaction");
  // The server forgets every prepared statement on reset; close ours first so none dangles.
  session_->statements_.clear();
  int err = 0;
  MYSQL* m = session_->handle();
  session_->drive([&] { return mysql_reset_connection_start(&err, m); },
                  [&](int ready) { return mysql_reset_connection_cont(&err, m, ready); }, Outcome::unknown);
  if (err) session_->fail(Outcome::unknown);
}

std::uint64_t Connection::thread_id() const noexcept {
  return session_->usable() ? mysql_thread_id(session_->handle()) : 0;
}

bool Connection::in_transaction() const noexcept {
  return session_->usable() && (session_->handle()->server_status & SERVER_STATUS_IN_TRANS) != 0;
}

TimePoint Connection::connected_at() const noexcept { return session_->connected_at_; }
const Options& Connection::options() const noexcept { return session_->options_; }
const Connection::Stats& Connection::stats() const noexcept { return session_->stats_; }

}  // namespace fern::mysql
