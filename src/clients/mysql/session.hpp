// Session: the state behind a Connection: the Connector/C handle in non-blocking mode, the socket as
// the hub's driver knows it, the prepared-statement cache, the transaction bookkeeping, and drive(),
// the one loop that runs every non-blocking Connector/C call by parking the greenlet on the socket.
#pragma once

#include <mysql.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "fern/base/clock.hpp"
#include "fern/clients/mysql/connection.hpp"
#include "fern/clients/mysql/error.hpp"
#include "fern/clients/mysql/options.hpp"

namespace fern::mysql {

class Statement;

class Session {
 public:
  explicit Session(Options options);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session();

  // Runs one non-blocking call: `start()` is the *_start call, `cont(ready)` the matching *_cont;
  // both return Connector/C's wait status (0 when the call is complete). Between them the greenlet
  // parks on the socket. If the wait is broken off (timeout, kill), the call is finished by failing
  // it (the socket is shut down first), the connection is marked lost, the statement is killed on
  // the server when it may be running, and the exception goes on.
  template <class Start, class Cont>
  void drive(Start&& start, Cont&& cont, Outcome if_lost, TimePoint deadline = TimePoint::max()) {
    int status = start();
    while (status != 0) {
      int ready;
      try {
        ready = await(status, if_lost, deadline);
      } catch (...) {
        shut_socket();
        for (int i = 0; status != 0 && i < kAbandonSteps; ++i) status = cont(kAllEvents);
        after_abandon(status == 0, if_lost);
        throw;
      }
      status = cont(ready);
    }
  }

  // Call bookkeeping: one caller at a time, no calls on a connection whose transaction was lost,
  // connect (or reconnect after a loss) before the call.
  class Call {
   public:
    // `sends`: the call writes to the server (every call but connect()); on a connection the server
    // ended while it sat idle such a call fails as not applied, where connect() just reconnects.
    explicit Call(Session& s, bool sends = true);
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;
    ~Call() { s_.busy_ = false; }

   private:
    Session& s_;
  };

  void open();                // connects; throws Error (Outcome::not_applied)
  void close_now() noexcept;  // no parking: COM_QUIT when healthy, then frees the handle
  bool usable() const noexcept { return m_ != nullptr && !lost_; }
  // True when the server closed or reset the idle connection: a call would be written into a dead
  // socket. One recv(MSG_PEEK) per call buys a precise not_applied for that case.
  bool closed_while_idle() const noexcept;
  // Marks the session lost and throws CR_SERVER_GONE_ERROR with Outcome::not_applied.
  [[noreturn]] void fail_before_sending();
  MYSQL* handle() const noexcept { return m_; }

  // Throws the handle's (or the statement's) current error. Marks the session lost when the error
  // means the connection is gone or out of step.
  [[noreturn]] void fail(Outcome if_lost);
  [[noreturn]] void fail_stmt(MYSQL_STMT* stmt, Outcome if_lost);
  [[noreturn]] void raise(unsigned code, const std::string& message, const std::string& sqlstate,
                          Outcome if_lost);
  // The connection is gone: the next call reconnects; an open transaction is lost with it.
  void mark_lost() noexcept;
  void shut_socket() noexcept;

  // The cached prepared statement for `sql`, preparing it on a miss.
  Statement& prepare(std::string_view sql);
  // Runs a statement whose results nobody reads (BEGIN, COMMIT, SET ...).
  void simple_query(std::string_view sql, Outcome if_lost);

  Options options_;
  Connection::Stats stats_;
  MYSQL* m_ = nullptr;
  bool lost_ = false;
  bool busy_ = false;
  bool cursor_open_ = false;
  bool side_ = false;  // a side connection that kills statements; it kills nothing itself
  // Transaction bookkeeping: epoch numbers transactions; lost means the open one died with its
  // connection and the Connection refuses calls until the Transaction object lets go.
  std::uint64_t tx_epoch_ = 0;
  bool tx_open_ = false;
  bool tx_lost_ = false;
  TimePoint connected_at_{};
  std::unordered_map<std::string, std::unique_ptr<Statement>> statements_;

 private:
  static constexpr int kAbandonSteps = 64;
  static constexpr int kAllEvents =
      MYSQL_WAIT_READ | MYSQL_WAIT_WRITE | MYSQL_WAIT_EXCEPT | MYSQL_WAIT_TIMEOUT;

  int await(int status, Outcome if_lost, TimePoint deadline);
  void after_abandon(bool finished, Outcome if_lost) noexcept;
  void kill_statement(unsigned long thread_id) noexcept;
  void drop_statements() noexcept;

  int fd_ = -1;  // the socket number the hub's driver has been told about
  unsigned long thread_id_ = 0;
};

}  // namespace fern::mysql
