// Statement: one server-side prepared statement of a Session: its Connector/C handle, the bound
// parameters (pointing into the caller's Values for one execution), and the result slots its rows
// are fetched into in the binary protocol, then turned into Values.
#pragma once

#include <mysql.h>

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "fern/clients/mysql/row.hpp"
#include "fern/clients/mysql/value.hpp"

namespace fern::mysql {

class Session;

class Statement {
 public:
  explicit Statement(Session& session);
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  MYSQL_STMT* handle() const noexcept { return stmt_; }
  // After prepare: reads the parameter count and the result columns.
  void describe();
  // Binds `params` (which must outlive the execution). Throws Error (not applied) on a count mismatch.
  void bind_params(std::span<const Value> params);
  // After execute: (re)binds the result slots when the columns changed (or always, with
  // fresh_columns: the next result of a CALL); true when there are rows.
  bool prepare_results(bool fresh_columns);
  // After a successful fetch: the row's values.
  void read_row(std::vector<Value>& out);
  const std::shared_ptr<const Columns>& columns() const noexcept { return columns_; }

 private:
  struct Slot {
    unsigned long length = 0;
    my_bool is_null = 0;
    my_bool error = 0;
    MYSQL_TIME time{};
    long long integer = 0;
    double real = 0;
    float single = 0;
    std::string text;
  };
  void bind_slot(std::size_t i, const MYSQL_FIELD& field);
  Value slot_value(std::size_t i);

  Session& session_;
  MYSQL_STMT* stmt_;
  unsigned param_count_ = 0;
  std::vector<MYSQL_BIND> params_;
  std::vector<MYSQL_TIME> param_times_;
  std::shared_ptr<const Columns> columns_ = std::make_shared<const Columns>();
  std::vector<MYSQL_BIND> results_;
  std::vector<Slot> slots_;
};

// Conversions shared by both protocols (value_codec.cpp).
std::vector<Column> describe_fields(const MYSQL_FIELD* fields, unsigned count);
// A text-protocol column (data is not NUL-terminated; null for SQL NULL).
Value text_value(const Column& column, const char* data, unsigned long length);
Value time_value(const MYSQL_TIME& t);
MYSQL_TIME to_mysql_time(const Value& v);

}  // namespace fern::mysql
