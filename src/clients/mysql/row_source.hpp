// RowSource: where a Cursor's rows come from: the text protocol (TextSource, mysql_use_result and
// mysql_fetch_row) or a prepared statement in the binary protocol (StmtSource, mysql_stmt_fetch).
// Both read one row per call without storing the result, and walk multi-result answers.
#pragma once

#include <mysql.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "fern/clients/mysql/result.hpp"
#include "fern/clients/mysql/row.hpp"
#include "fern/clients/mysql/value.hpp"

namespace fern::mysql {

class Session;
class Statement;

class RowSource {
 public:
  explicit RowSource(Session& session) : session_(session) {}
  RowSource(const RowSource&) = delete;
  RowSource& operator=(const RowSource&) = delete;
  virtual ~RowSource() = default;

  // The next row of the current result; false at its end.
  virtual bool next(Row& row) = 0;
  // Skips the rest of the current result and enters the next one; false when there is none.
  virtual bool next_result() = 0;
  // The rest of the current result, in memory.
  Result collect();

  std::shared_ptr<const Columns> columns_ = std::make_shared<const Columns>();
  bool has_rows_ = false;
  bool in_rows_ = false;   // rows of the current result remain unread
  bool finished_ = false;  // the server has sent everything: the connection is in step again
  std::uint64_t affected_rows_ = 0;
  std::uint64_t insert_id_ = 0;
  unsigned warnings_ = 0;

 protected:
  Session& session_;
};

class TextSource : public RowSource {
 public:
  TextSource(Session& session, std::string_view sql);
  ~TextSource() override;
  bool next(Row& row) override;
  bool next_result() override;

 private:
  void enter_result();
  void free_result();
  MYSQL_RES* res_ = nullptr;
};

class StmtSource : public RowSource {
 public:
  StmtSource(Session& session, Statement& statement, std::span<const Value> params);
  bool next(Row& row) override;
  bool next_result() override;

 private:
  void enter_result(bool fresh_columns);
  Statement& statement_;
  MYSQL_STMT* stmt_;
};

}  // namespace fern::mysql
