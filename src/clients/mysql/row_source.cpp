#include "row_source.hpp"

#include "session.hpp"
#include "statement.hpp"

namespace fern::mysql {

Result RowSource::collect() {
  Result result;
  result.columns = columns_;
  Row row;
  while (next(row)) result.rows.push_back(std::move(row));
  result.affected_rows = has_rows_ ? result.rows.size() : affected_rows_;
  result.insert_id = insert_id_;
  result.warnings = warnings_;
  return result;
}

TextSource::TextSource(Session& session, std::string_view sql) : RowSource(session) {
  int err = 0;
  MYSQL* m = session.handle();
  session.drive([&] { return mysql_real_query_start(&err, m, sql.data(), sql.size()); },
                [&](int ready) { return mysql_real_query_cont(&err, m, ready); }, Outcome::unknown);
  if (err) {
    finished_ = true;  // an error reply ends the exchange
    session.fail(Outcome::unknown);
  }
  enter_result();
}

TextSource::~TextSource() {
  // Only an abandoned cursor gets here with a result open; its socket is shut, so nothing waits.
  if (res_) mysql_free_result(res_);
}

void TextSource::enter_result() {
  MYSQL* m = session_.handle();
  if (mysql_field_count(m) > 0) {
    res_ = mysql_use_result(m);
    if (!res_) session_.fail(Outcome::unknown);
    columns_ =
        std::make_shared<const Columns>(describe_fields(mysql_fetch_fields(res_), mysql_num_fields(res_)));
    has_rows_ = in_rows_ = true;
    affected_rows_ = insert_id_ = 0;
  } else {
    columns_ = std::make_shared<const Columns>();
    has_rows_ = in_rows_ = false;
    affected_rows_ = mysql_affected_rows(m);
    insert_id_ = mysql_insert_id(m);
    warnings_ = mysql_warning_count(m);
    if (!mysql_more_results(m)) finished_ = true;
  }
}

void TextSource::free_result() {
  MYSQL_RES* res = res_;
  res_ = nullptr;
  in_rows_ = false;
  int status = mysql_free_result_start(res);  // reads any unread rows
  session_.drive([&] { return status; }, [&](int ready) { return mysql_free_result_cont(res, ready); },
                 Outcome::unknown);
  MYSQL* m = session_.handle();
  warnings_ = mysql_warning_count(m);
  if (!mysql_more_results(m)) finished_ = true;
}

bool TextSource::next(Row& row) {
  if (!in_rows_) return false;
  MYSQL_ROW r = nullptr;
  MYSQL_RES* res = res_;
  session_.drive([&] { return mysql_fetch_row_start(&r, res); },
                 [&](int ready) { return mysql_fetch_row_cont(&r, res, ready); }, Outcome::unknown);
  if (!r) {
    MYSQL* m = session_.handle();
    if (mysql_errno(m) != 0) {
      const unsigned code = mysql_errno(m);
      if (code < 2000 || code >= 3000) finished_ = true;  // an error packet from the server ends the result
      session_.fail(Outcome::unknown);
    }
    free_result();
    return false;
  }
  const unsigned long* lengths = mysql_fetch_lengths(res_);
  const Columns& columns = *columns_;
  std::vector<Value>& values = row.mutable_values();
  values.resize(columns.size());
  for (std::size_t i = 0; i < columns.size(); ++i) values[i] = text_value(columns[i], r[i], lengths[i]);
  row.set_columns(columns_);
  return true;
}

bool TextSource::next_result() {
  if (res_) free_result();
  MYSQL* m = session_.handle();
  if (!mysql_more_results(m)) {
    finished_ = true;
    return false;
  }
  int status = 0;
  session_.drive([&] { return mysql_next_result_start(&status, m); },
                 [&](int ready) { return mysql_next_result_cont(&status, m, ready); }, Outcome::unknown);
  if (status > 0) {
    finished_ = true;  // a later statement failed; the server sends nothing after it
    session_.fail(Outcome::unknown);
  }
  if (status < 0) {
    finished_ = true;
    return false;
  }
  enter_result();
  return true;
}

StmtSource::StmtSource(Session& session, Statement& statement, std::span<const Value> params)
    : RowSource(session), statement_(statement), stmt_(statement.handle()) {
  statement.bind_params(params);
  int err = 0;
  MYSQL_STMT* stmt = stmt_;
  session.drive([&] { return mysql_stmt_execute_start(&err, stmt); },
                [&](int ready) { return mysql_stmt_execute_cont(&err, stmt, ready); }, Outcome::unknown);
  if (err) {
    finished_ = true;
    session.fail_stmt(stmt, Outcome::unknown);
  }
  enter_result(false);
}

void StmtSource::enter_result(bool fresh_columns) {
  if (statement_.prepare_results(fresh_columns)) {
    columns_ = statement_.columns();
    has_rows_ = in_rows_ = true;
    affected_rows_ = insert_id_ = 0;
  } else {
    columns_ = std::make_shared<const Columns>();
    has_rows_ = in_rows_ = false;
    affected_rows_ = mysql_stmt_affected_rows(stmt_);
    insert_id_ = mysql_stmt_insert_id(stmt_);
    warnings_ = mysql_warning_count(session_.handle());
    if (!mysql_stmt_more_results(stmt_)) finished_ = true;
  }
}

bool StmtSource::next(Row& row) {
  if (!in_rows_) return false;
  int r = 0;
  MYSQL_STMT* stmt = stmt_;
  session_.drive([&] { return mysql_stmt_fetch_start(&r, stmt); },
                 [&](int ready) { return mysql_stmt_fetch_cont(&r, stmt, ready); }, Outcome::unknown);
  if (r == MYSQL_NO_DATA) {
    in_rows_ = false;
    warnings_ = mysql_warning_count(session_.handle());
    if (!mysql_stmt_more_results(stmt_)) finished_ = true;
    return false;
  }
  if (r == 1) {
    const unsigned code = mysql_stmt_errno(stmt_);
    if (code < 2000 || code >= 3000) finished_ = true;
    session_.fail_stmt(stmt_, Outcome::unknown);
  }
  statement_.read_row(row.mutable_values());  // MYSQL_DATA_TRUNCATED is handled column by column
  row.set_columns(columns_);
  return true;
}

bool StmtSource::next_result() {
  Row skipped;
  while (next(skipped)) {
  }
  if (!mysql_stmt_more_results(stmt_)) {
    finished_ = true;
    return false;
  }
  int status = 0;
  MYSQL_STMT* stmt = stmt_;
  session_.drive([&] { return mysql_stmt_next_result_start(&status, stmt); },
                 [&](int ready) { return mysql_stmt_next_result_cont(&status, stmt, ready); },
                 Outcome::unknown);
  if (status > 0) {
    finished_ = true;
    session_.fail_stmt(stmt_, Outcome::unknown);
  }
  if (status < 0) {
    finished_ = true;
    return false;
  }
  enter_result(true);
  return true;
}

}  // namespace fern::mysql
