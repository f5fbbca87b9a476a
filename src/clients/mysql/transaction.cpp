#include "fern/clients/mysql/transaction.hpp"

#include "fern/base/error.hpp"
#include "fern/clients/mysql/connection.hpp"
#include "session.hpp"

namespace fern::mysql {

Transaction::Transaction(Transaction&& other) noexcept
    : connection_(other.connection_), epoch_(other.epoch_), done_(other.done_) {
  other.done_ = true;
}

Transaction::~Transaction() {
  if (done_) return;
  try {
    rollback();
  } catch (...) {
    // Could not roll back (connection busy or broken): closing it makes the server roll back.
    Session& s = *connection_->session_;
    s.shut_socket();
    s.mark_lost();
    s.tx_open_ = s.tx_lost_ = false;
  }
}

bool Transaction::active() const noexcept {
  const Session& s = *connection_->session_;
  return !done_ && s.tx_epoch_ == epoch_ && s.tx_open_ && !s.tx_lost_;
}

void Transaction::commit() {
  Session& s = *connection_->session_;
  if (done_ || s.tx_epoch_ != epoch_)
    throw_error(Errc::invalid_argument, "fern::mysql: transaction already ended");
  if (!s.tx_lost_ && (s.busy_ || s.cursor_open_))  // refused before anything changes: still open
    throw_error(Errc::invalid_argument, "fern::mysql: commit() while the connection is in use");
  done_ = true;
  if (s.tx_lost_) {
    s.tx_open_ = s.tx_lost_ = false;
    throw Error(make_error_code(Errc::closed),
                "fern::mysql: the connection was lost inside the transaction; the server rolled it back",
                "08S01", Outcome::not_applied)
        .lost(true);
  }
  try {
    Session::Call call(s);
    s.simple_query("COMMIT", Outcome::unknown);
  } catch (...) {
    // Lost while COMMIT was in flight (outcome unknown) or refused: either way this transaction is
    // over; a refused COMMIT leaves the server's transaction open, so roll it back.
    s.tx_open_ = s.tx_lost_ = false;
    if (s.usable() && !s.busy_ && (s.handle()->server_status & SERVER_STATUS_IN_TRANS)) {
      try {
        Session::Call call(s);
        s.simple_query("ROLLBACK", Outcome::unknown);
      } catch (...) {
      }
    }
    throw;
  }
  s.tx_open_ = false;
}

void Transaction::rollback() {
  Session& s = *connection_->session_;
  if (done_ || s.tx_epoch_ != epoch_) return;
  done_ = true;
  if (s.tx_lost_ || !s.usable()) {
    s.tx_open_ = s.tx_lost_ = false;  // the server rolled it back when the connection went
    return;
  }
  s.tx_open_ = false;
  Session::Call call(s);
  s.simple_query("ROLLBACK", Outcome::unknown);
}

}  // namespace fern::mysql
