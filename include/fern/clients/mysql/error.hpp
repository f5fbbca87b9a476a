// Error: what a failed MariaDB/MySQL call throws. It carries the error number (the server's ER_*
// code in server_category(), Connector/C's CR_* code in client_category(), or a fern::Errc such as
// timed_out), the SQLSTATE, and the call's Outcome: whether the statement was certainly not applied
// or may have been. It is a fern::OperationError, so code written for every client's failures
// catches it too. Nothing here blocks.
#pragma once

#include <string>
#include <system_error>

#include "fern/base/outcome.hpp"

namespace fern::mysql {

// What a failed call did to the database: the outcome every fern client reports (not_applied:
// rejected by the server or never sent; unknown: sent, then the connection was lost or abandoned).
using Outcome = fern::Outcome;

const std::error_category& server_category() noexcept;  // ER_* numbers (1000-1999, 3000+)
const std::error_category& client_category() noexcept;  // CR_* numbers (2000-2999)

// Server error numbers that callers commonly tell apart.
namespace server_errc {
inline constexpr int access_denied = 1045;
inline constexpr int bad_database = 1049;
inline constexpr int duplicate_key = 1062;
inline constexpr int parse_error = 1064;
inline constexpr int no_such_table = 1146;
inline constexpr int lock_wait_timeout = 1205;
inline constexpr int deadlock = 1213;
inline constexpr int query_interrupted = 1317;
}  // namespace server_errc

class Error : public OperationError {
 public:
  Error(std::error_code code, const std::string& message, std::string sqlstate, Outcome outcome)
      : OperationError(code, message, outcome), sqlstate_(std::move(sqlstate)) {}

  const std::string& sqlstate() const noexcept { return sqlstate_; }
  // The server's error number, or 0 when the error did not come from the server.
  int server_code() const noexcept { return code().category() == server_category() ? code().value() : 0; }
  // True when the connection is gone (the next call on it reconnects).
  bool connection_lost() const noexcept { return lost_; }
  Error& lost(bool v) noexcept {
    lost_ = v;
    return *this;
  }

 private:
  std::string sqlstate_;
  bool lost_ = false;
};

}  // namespace fern::mysql
