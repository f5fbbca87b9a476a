#include "session.hpp"

#include <errmsg.h>
#include <sys/socket.h>

#include <algorithm>
#include <mutex>
#include <new>

#include "fern/base/error.hpp"
#include "fern/hub/io_wait.hpp"
#include "fern/hub/waiter.hpp"
#include "fern/net/address.hpp"
#include "fern/net/idle_probe.hpp"
#include "fern/net/resolver.hpp"
#include "statement.hpp"

namespace fern::mysql {

namespace {

void init_library() {
  // mysql_library_init is not thread-safe; mysql_init would call it implicitly on first use.
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

// Client errors after which the connection cannot be trusted: gone, never made, or out of step.
bool connection_gone(unsigned code) {
  switch (code) {
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_UNKNOWN_HOST:
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_COMMANDS_OUT_OF_SYNC:
    case CR_SSL_CONNECTION_ERROR:
    case CR_MALFORMED_PACKET:
    case CR_SERVER_LOST_EXTENDED:
    case CR_SERVER_HANDSHAKE_ERR: return true;
    default: return false;
  }
}

// Server errors that end the session: it was killed or the server is going away.
bool session_ended(unsigned code) { return code == 1053 /* shutdown */ || code == 1927 /* killed */; }

TimePoint earlier(TimePoint a, TimePoint b) { return a < b ? a : b; }

}  // namespace

Session::Session(Options options) : options_(std::move(options)) {}

Session::~Session() { close_now(); }

Session::Call::Call(Session& s, bool sends) : s_(s) {
  if (s.busy_ || s.cursor_open_)
    throw_error(Errc::invalid_argument, "fern::mysql: connection in use (another call or an open Cursor)");
  if (s.tx_lost_)
    throw Error(make_error_code(Errc::closed),
                "fern::mysql: the connection was lost inside a transaction; the server rolled it back",
                "08S01", Outcome::not_applied);
  s.busy_ = true;
  try {
    if (s.usable() && s.closed_while_idle()) {
      if (sends) s.fail_before_sending();
      s.mark_lost();
    }
    if (!s.usable()) s.open();
  } catch (...) {
    s.busy_ = false;
    throw;
  }
}

bool Session::closed_while_idle() const noexcept {
  const int fd = static_cast<int>(mysql_get_socket(m_));
  return fd >= 0 && net::probe_idle(fd) == net::IdleState::closed;
}

// Connector/C would write the call into the dead socket and report CR_SERVER_GONE_ERROR or
// CR_SERVER_LOST, which cannot tell whether the bytes got through; found now, nothing was sent.
void Session::fail_before_sending() {
  raise(CR_SERVER_GONE_ERROR, "Server has gone away (found closed before the call was sent)", "HY000",
        Outcome::not_applied);
}

void Session::open() {
  close_now();
  init_library();
  m_ = mysql_init(nullptr);
  if (!m_) throw std::bad_alloc();
  const TimePoint deadline = deadline_after(options_.connect_timeout);
  mysql_options(m_, MYSQL_OPT_NONBLOCK, nullptr);
  mysql_options(m_, MYSQL_SET_CHARSET_NAME, options_.charset.c_str());
  const bool over_unix = !options_.unix_socket.empty();
  unsigned protocol = over_unix ? MYSQL_PROTOCOL_SOCKET : MYSQL_PROTOCOL_TCP;
  mysql_options(m_, MYSQL_OPT_PROTOCOL, &protocol);
  if (options_.tls.enabled) {
    my_bool on = 1, verify = options_.tls.verify ? 1 : 0;
    mysql_optionsv(m_, MYSQL_OPT_SSL_ENFORCE, &on);
    mysql_optionsv(m_, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
    auto set = [&](mysql_option o, const std::string& v) {
      if (!v.empty()) mysql_optionsv(m_, o, v.c_str());
    };
    if (options_.tls.verify) {  // Connector/C checks the chain whenever it is given a CA
      set(MYSQL_OPT_SSL_CA, options_.tls.ca_file);
      set(MYSQL_OPT_SSL_CAPATH, options_.tls.ca_path);
    }
    set(MYSQL_OPT_SSL_CERT, options_.tls.cert_file);
    set(MYSQL_OPT_SSL_KEY, options_.tls.key_file);
  }
  // Connector/C would call getaddrinfo itself, holding the hub; fern resolves and hands it a number.
  std::string host = "localhost";
  if (!over_unix) {
    if (net::Address::parse(options_.host, options_.port)) {
      host = options_.host;
    } else {
      net::ResolveOptions ro;
      ro.timeout = options_.connect_timeout;
      host = net::resolve(options_.host, options_.port, ro).at(0).host();
    }
  }
  unsigned long flags = CLIENT_MULTI_RESULTS | (options_.multi_statements ? CLIENT_MULTI_STATEMENTS : 0);
  const char* db = options_.database.empty() ? nullptr : options_.database.c_str();
  MYSQL* ret = nullptr;
  try {
    drive(
        [&] {
          return mysql_real_connect_start(&ret, m_, host.c_str(), options_.user.c_str(),
                                          options_.password.c_str(), db, over_unix ? 0 : options_.port,
                                          over_unix ? options_.unix_socket.c_str() : nullptr, flags);
        },
        [&](int ready) { return mysql_real_connect_cont(&ret, m_, ready); }, Outcome::not_applied, deadline);
  } catch (...) {
    close_now();
    throw;
  }
  if (!ret) {
    try {
      fail(Outcome::not_applied);
    } catch (...) {
      close_now();
      throw;
    }
  }
  lost_ = false;
  thread_id_ = mysql_thread_id(m_);
  connected_at_ = Clock::now();
  ++stats_.connects;
}

int Session::await(int status, Outcome if_lost, TimePoint deadline) {
  const int fd = static_cast<int>(mysql_get_socket(m_));
  if (fd != fd_) {
    // A socket Connector/C just made: the driver must not keep state from an earlier descriptor
    // with this number.
    adopt_fd(fd);
    fd_ = fd;
  }
  std::uint32_t events = 0;
  if (status & (MYSQL_WAIT_READ | MYSQL_WAIT_EXCEPT)) events |= io_events::readable;
  if (status & MYSQL_WAIT_WRITE) events |= io_events::writable;
  Duration io_timeout = (events & io_events::writable) ? options_.write_timeout : options_.read_timeout;
  if (io_timeout != kForever) deadline = earlier(deadline, deadline_after(io_timeout));
  TimePoint library_deadline = TimePoint::max();
  if (status & MYSQL_WAIT_TIMEOUT)
    library_deadline = deadline_after(std::chrono::milliseconds(mysql_get_timeout_value_ms(m_)));
  std::error_code ec;
  if (events != 0 && fd >= 0) {
    ec = wait_fd(fd, events, earlier(deadline, library_deadline));
  } else {
    Waiter waiter;
    if (!waiter.park(earlier(deadline, library_deadline))) ec = make_error_code(Errc::timed_out);
  }
  if (!ec) return status & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE | MYSQL_WAIT_EXCEPT);
  if (ec == Errc::timed_out && library_deadline <= deadline) return MYSQL_WAIT_TIMEOUT;
  const char* what = ec == Errc::timed_out ? "fern::mysql: timed out waiting for the server at "
                                           : "fern::mysql: socket closed while waiting for the server at ";
  throw Error(ec, what + options_.endpoint(), "HY000", if_lost).lost(true);
}

void Session::after_abandon(bool finished, Outcome if_lost) noexcept {
  mark_lost();
  if (!finished) m_ = nullptr;  // Connector/C is stuck inside the call: leaking beats freeing it mid-use
  if (if_lost == Outcome::unknown && thread_id_ != 0 && !side_) kill_statement(thread_id_);
}

void Session::kill_statement(unsigned long thread_id) noexcept {
  ++stats_.cancels;
  try {
    Options side_options = options_;
    side_options.connect_timeout = side_options.read_timeout = side_options.write_timeout =
        options_.cancel_timeout;
    Session side(std::move(side_options));
    side.side_ = true;
    side.open();
    side.simple_query("KILL QUERY " + std::to_string(thread_id), Outcome::unknown);
  } catch (...) {
    // Best effort: the statement's connection is closed either way.
  }
}

void Session::mark_lost() noexcept {
  lost_ = true;
  if (tx_open_) tx_lost_ = true;
  if (fd_ >= 0) adopt_fd(fd_);  // the driver forgets it before Connector/C's close can free the number
  fd_ = -1;
}

void Session::shut_socket() noexcept {
  if (m_ && mysql_get_socket(m_) >= 0) ::shutdown(static_cast<int>(mysql_get_socket(m_)), SHUT_RDWR);
}

void Session::drop_statements() noexcept {
  // After mysql_close the statements are detached from the handle: closing them only frees memory.
  statements_.clear();
}

void Session::close_now() noexcept {
  if (m_) {
    if (lost_) shut_socket();  // a lost connection gets no COM_QUIT: writes fail at once
    if (fd_ >= 0) adopt_fd(fd_);
    fd_ = -1;
    mysql_close(m_);  // healthy: COM_QUIT is five bytes into an idle socket, written without waiting
    m_ = nullptr;
  }
  drop_statements();
  lost_ = false;
  thread_id_ = 0;
}

void Session::fail(Outcome if_lost) { raise(mysql_errno(m_), mysql_error(m_), mysql_sqlstate(m_), if_lost); }

void Session::fail_stmt(MYSQL_STMT* stmt, Outcome if_lost) {
  raise(mysql_stmt_errno(stmt), mysql_stmt_error(stmt), mysql_stmt_sqlstate(stmt), if_lost);
}

// Client errors (2000-2999) that lose the connection leave the outcome to the caller's `if_lost`
// (Connector/C's CR_SERVER_GONE_ERROR may follow a partial write, so it proves nothing by itself;
// a connection known dead before sending is caught first, by fail_before_sending);
// a server error means the statement was refused.
void Session::raise(unsigned code, const std::string& message, const std::string& sqlstate, Outcome if_lost) {
  const bool client = code >= 2000 && code < 3000;
  const bool gone = client ? connection_gone(code) : session_ended(code);
  if (gone) mark_lost();
  Outcome outcome = gone && client ? if_lost : Outcome::not_applied;
  throw Error(std::error_code(static_cast<int>(code), client ? client_category() : server_category()),
              message + " [" + options_.endpoint() + "]", sqlstate, outcome)
      .lost(gone);
}

void Session::simple_query(std::string_view sql, Outcome if_lost) {
  int err = 0;
  drive([&] { return mysql_real_query_start(&err, m_, sql.data(), sql.size()); },
        [&](int ready) { return mysql_real_query_cont(&err, m_, ready); }, if_lost);
  if (err) fail(if_lost);
  // Drain whatever it returned (nothing for BEGIN/COMMIT, rows for a stray SELECT).
  for (;;) {
    if (mysql_field_count(m_) > 0) {
      MYSQL_RES* res = mysql_use_result(m_);
      if (!res) fail(if_lost);
      int st = mysql_free_result_start(res);
      drive([&] { return st; }, [&](int ready) { return mysql_free_result_cont(res, ready); }, if_lost);
    }
    if (!mysql_more_results(m_)) return;
    int next = 0;
    drive([&] { return mysql_next_result_start(&next, m_); },
          [&](int ready) { return mysql_next_result_cont(&next, m_, ready); }, if_lost);
    if (next > 0) fail(if_lost);
    if (next < 0) return;
  }
}

Statement& Session::prepare(std::string_view sql) {
  std::string key(sql);
  if (auto it = statements_.find(key); it != statements_.end()) return *it->second;
  if (statements_.size() >= options_.statement_cache_size && !statements_.empty()) {
    // Full: the oldest-prepared is as good a victim as any without usage tracking; close it now.
    statements_.erase(statements_.begin());
  }
  auto statement = std::make_unique<Statement>(*this);
  int err = 0;
  MYSQL_STMT* st = statement->handle();
  drive([&] { return mysql_stmt_prepare_start(&err, st, sql.data(), sql.size()); },
        [&](int ready) { return mysql_stmt_prepare_cont(&err, st, ready); }, Outcome::not_applied);
  if (err) fail_stmt(st, Outcome::not_applied);
  statement->describe();
  ++stats_.prepares;
  return *statements_.emplace(std::move(key), std::move(statement)).first->second;
}

}  // namespace fern::mysql
