// Transaction: a scope over one connection between START TRANSACTION and COMMIT. Statements run on
// the Connection as usual; commit() ends it, and leaving the scope without commit() (an exception,
// a return, a kill) rolls it back. If the connection is lost inside the transaction, the server has
// rolled it back: the Transaction is dead from then on, and its Connection refuses every call until
// the Transaction is gone, so no statement meant for it can run on a fresh connection. commit() and
// rollback() park like any call.
#pragma once

#include <cstdint>

namespace fern::mysql {

class Connection;

class Transaction {
 public:
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  // Throws mysql::Error: with Outcome::not_applied when the transaction was already lost (the
  // server rolled it back), Outcome::unknown when the connection broke while COMMIT was in flight.
  void commit();
  void rollback();
  // Open: neither committed, rolled back nor lost.
  bool active() const noexcept;
  Connection& connection() const noexcept { return *connection_; }

 private:
  friend class Connection;
  Transaction(Connection& connection, std::uint64_t epoch) : connection_(&connection), epoch_(epoch) {}
  Connection* connection_;
  std::uint64_t epoch_;  // which transaction of the connection this is
  bool done_ = false;
};

}  // namespace fern::mysql
