// Result: a statement's whole answer held in memory: its columns and rows (for a SELECT), or the
// rows it affected and the id it inserted (for INSERT/UPDATE/DELETE). Produced by Connection::query
// and execute once the server has sent everything; nothing here blocks. For results too large to
// hold, stream them with a Cursor instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "fern/clients/mysql/row.hpp"

namespace fern::mysql {

struct Result {
  std::shared_ptr<const Columns> columns = std::make_shared<const Columns>();
  std::vector<Row> rows;
  std::uint64_t affected_rows = 0;  // for a SELECT, the number of rows
  std::uint64_t insert_id = 0;      // LAST_INSERT_ID() of an INSERT into an AUTO_INCREMENT column
  unsigned warnings = 0;

  std::size_t size() const noexcept { return rows.size(); }
  bool empty() const noexcept { return rows.empty(); }
  const Row& operator[](std::size_t i) const { return rows.at(i); }
  auto begin() const { return rows.begin(); }
  auto end() const { return rows.end(); }
  // The only value of a one-row, one-column result (SELECT COUNT(*) ...); throws std::system_error
  // (Errc::invalid_argument) for any other shape.
  const Value& scalar() const;
};

}  // namespace fern::mysql
