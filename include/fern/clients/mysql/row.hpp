// Row: one row of a result, its values read by index or by column name; Columns: the names and
// SQL types of a result's columns, shared by all its rows. Plain values; nothing here blocks.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fern/clients/mysql/value.hpp"

namespace fern::mysql {

struct Column {
  std::string name;      // the alias when the SELECT gave one
  std::string table;     // empty for expressions
  int type = 0;          // Connector/C's enum_field_types (MYSQL_TYPE_LONG, ...)
  unsigned flags = 0;    // NOT_NULL_FLAG, UNSIGNED_FLAG, BINARY_FLAG, ...
  unsigned charset = 0;  // 63 is binary
  unsigned decimals = 0;
};

class Columns {
 public:
  Columns() = default;
  explicit Columns(std::vector<Column> columns) : columns_(std::move(columns)) {}
  std::size_t size() const noexcept { return columns_.size(); }
  const Column& operator[](std::size_t i) const { return columns_[i]; }
  // The index of the first column called `name`; throws std::system_error (Errc::invalid_argument)
  // naming it when there is none.
  std::size_t index_of(std::string_view name) const;
  auto begin() const { return columns_.begin(); }
  auto end() const { return columns_.end(); }

 private:
  std::vector<Column> columns_;
};

class Row {
 public:
  Row() = default;
  Row(std::shared_ptr<const Columns> columns, std::vector<Value> values)
      : columns_(std::move(columns)), values_(std::move(values)) {}

  std::size_t size() const noexcept { return values_.size(); }
  // Throws std::system_error (Errc::invalid_argument) for an index or name out of range.
  const Value& operator[](std::size_t i) const;
  const Value& operator[](std::string_view column) const;
  template <class T>
  T get(std::size_t i) const {
    return (*this)[i].get<T>();
  }
  template <class T>
  T get(std::string_view column) const {
    return (*this)[column].get<T>();
  }
  const Columns& columns() const;
  const std::vector<Value>& values() const noexcept { return values_; }

  // For the row readers: reuse this row's storage for the next one.
  std::vector<Value>& mutable_values() noexcept { return values_; }
  void set_columns(std::shared_ptr<const Columns> columns) { columns_ = std::move(columns); }

 private:
  std::shared_ptr<const Columns> columns_;
  std::vector<Value> values_;
};

}  // namespace fern::mysql
