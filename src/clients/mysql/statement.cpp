#include "statement.hpp"

#include <algorithm>
#include <new>

#include "fern/base/error.hpp"
#include "session.hpp"

namespace fern::mysql {

namespace {

constexpr std::size_t kInitialTextBuffer = 256;  // grown to the longest value seen

bool is_integer(int type) {
  return type == MYSQL_TYPE_TINY || type == MYSQL_TYPE_SHORT || type == MYSQL_TYPE_LONG ||
         type == MYSQL_TYPE_INT24 || type == MYSQL_TYPE_LONGLONG || type == MYSQL_TYPE_YEAR;
}

bool is_temporal(int type) {
  return type == MYSQL_TYPE_DATE || type == MYSQL_TYPE_NEWDATE || type == MYSQL_TYPE_DATETIME ||
         type == MYSQL_TYPE_TIMESTAMP || type == MYSQL_TYPE_TIME;
}

}  // namespace

Statement::Statement(Session& session) : session_(session), stmt_(mysql_stmt_init(session.handle())) {
  if (!stmt_) throw std::bad_alloc();
}

Statement::~Statement() { mysql_stmt_close(stmt_); }

void Statement::describe() {
  param_count_ = mysql_stmt_param_count(stmt_);
  params_.assign(param_count_, MYSQL_BIND{});
  param_times_.assign(param_count_, MYSQL_TIME{});
}

void Statement::bind_params(std::span<const Value> params) {
  if (params.size() != param_count_)
    throw Error(make_error_code(Errc::invalid_argument),
                "fern::mysql: the statement has " + std::to_string(param_count_) + " placeholders, " +
                    std::to_string(params.size()) + " values given",
                "07001", Outcome::not_applied);
  if (param_count_ == 0) return;
  static my_bool null_flag = 1;
  for (std::size_t i = 0; i < params.size(); ++i) {
    MYSQL_BIND& b = params_[i];
    b = MYSQL_BIND{};
    const Value& v = params[i];
    switch (v.kind()) {
      case Kind::null:
        b.buffer_type = MYSQL_TYPE_NULL;
        b.is_null = &null_flag;
        break;
      case Kind::int64:
      case Kind::uint64: {
        // Bound in place: the Value outlives the execution.
        b.buffer_type = MYSQL_TYPE_LONGLONG;
        b.is_unsigned = v.kind() == Kind::uint64;
        if (b.is_unsigned) {
          b.buffer = const_cast<std::uint64_t*>(v.uint_ptr());
        } else {
          b.buffer = const_cast<std::int64_t*>(v.int_ptr());
        }
        break;
      }
      case Kind::real:
        b.buffer_type = MYSQL_TYPE_DOUBLE;
        b.buffer = const_cast<double*>(v.real_ptr());
        break;
      case Kind::date:
      case Kind::datetime:
      case Kind::time:
        param_times_[i] = to_mysql_time(v);
        b.buffer_type = v.kind() == Kind::date   ? MYSQL_TYPE_DATE
                        : v.kind() == Kind::time ? MYSQL_TYPE_TIME
                                                 : MYSQL_TYPE_DATETIME;
        b.buffer = &param_times_[i];
        break;
      case Kind::decimal:
      case Kind::text:
      case Kind::bytes: {
        std::string_view s = v.as_string();
        b.buffer_type = v.kind() == Kind::decimal ? MYSQL_TYPE_NEWDECIMAL
                        : v.kind() == Kind::bytes ? MYSQL_TYPE_BLOB
                                                  : MYSQL_TYPE_STRING;
        b.buffer = const_cast<char*>(s.data());
        b.buffer_length = s.size();
        b.length_value = s.size();
        break;
      }
    }
  }
  if (mysql_stmt_bind_param(stmt_, params_.data())) session_.fail_stmt(stmt_, Outcome::not_applied);
}

bool Statement::prepare_results(bool fresh_columns) {
  const unsigned count = mysql_stmt_field_count(stmt_);
  if (count == 0) return false;
  const MYSQL_FIELD* fields = stmt_->fields;
  if (!fields) return false;
  if (fresh_columns || count != columns_->size() || slots_.empty()) {
    columns_ = std::make_shared<const Columns>(describe_fields(fields, count));
    results_.assign(count, MYSQL_BIND{});
    slots_.assign(count, Slot{});
    for (std::size_t i = 0; i < count; ++i) bind_slot(i, fields[i]);
    if (mysql_stmt_bind_result(stmt_, results_.data())) session_.fail_stmt(stmt_, Outcome::unknown);
  }
  return true;
}

void Statement::bind_slot(std::size_t i, const MYSQL_FIELD& field) {
  MYSQL_BIND& b = results_[i];
  Slot& s = slots_[i];
  b = MYSQL_BIND{};
  b.length = &s.length;
  b.is_null = &s.is_null;
  b.error = &s.error;
  const int type = field.type;
  if (is_integer(type)) {
    b.buffer_type = MYSQL_TYPE_LONGLONG;
    b.is_unsigned = (field.flags & UNSIGNED_FLAG) != 0;
    b.buffer = &s.integer;
  } else if (type == MYSQL_TYPE_FLOAT) {
    b.buffer_type = MYSQL_TYPE_FLOAT;
    b.buffer = &s.single;
  } else if (type == MYSQL_TYPE_DOUBLE) {
    b.buffer_type = MYSQL_TYPE_DOUBLE;
    b.buffer = &s.real;
  } else if (is_temporal(type)) {
    b.buffer_type = type == MYSQL_TYPE_NEWDATE ? MYSQL_TYPE_DATE : static_cast<enum_field_types>(type);
    b.buffer = &s.time;
  } else {
    s.text.resize(std::clamp<std::size_t>(field.length, 16, kInitialTextBuffer));
    b.buffer_type = MYSQL_TYPE_STRING;
    b.buffer = s.text.data();
    b.buffer_length = s.text.size();
  }
}

void Statement::read_row(std::vector<Value>& out) {
  out.resize(slots_.size());
  bool rebind = false;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[i];
    if (!s.is_null && results_[i].buffer_type == MYSQL_TYPE_STRING && s.length > s.text.size()) {
      // Longer than the slot: fetch the whole value now, and widen the slot for the next rows.
      std::string whole(s.length, '\0');
      MYSQL_BIND b{};
      unsigned long length = 0;
      b.buffer_type = MYSQL_TYPE_STRING;
      b.buffer = whole.data();
      b.buffer_length = whole.size();
      b.length = &length;
      if (mysql_stmt_fetch_column(stmt_, &b, static_cast<unsigned>(i), 0))
        session_.fail_stmt(stmt_, Outcome::unknown);
      whole.resize(length);
      const Column& column = (*columns_)[i];
      out[i] = text_value(column, whole.data(), whole.size());
      s.text.resize(s.length);
      results_[i].buffer = s.text.data();
      results_[i].buffer_length = s.text.size();
      rebind = true;
      continue;
    }
    out[i] = slot_value(i);
  }
  if (rebind && mysql_stmt_bind_result(stmt_, results_.data())) session_.fail_stmt(stmt_, Outcome::unknown);
}

Value Statement::slot_value(std::size_t i) {
  const Slot& s = slots_[i];
  if (s.is_null) return Value();
  const MYSQL_BIND& b = results_[i];
  switch (b.buffer_type) {
    case MYSQL_TYPE_LONGLONG:
      return b.is_unsigned ? Value(static_cast<std::uint64_t>(s.integer))
                           : Value(static_cast<std::int64_t>(s.integer));
    case MYSQL_TYPE_FLOAT: return Value(s.single);
    case MYSQL_TYPE_DOUBLE: return Value(s.real);
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_TIMESTAMP:
    case MYSQL_TYPE_TIME: return time_value(s.time);
    default: return text_value((*columns_)[i], s.text.data(), s.length);
  }
}

}  // namespace fern::mysql
