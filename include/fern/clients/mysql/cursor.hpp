// Cursor: a result read from the socket one row at a time, so a million-row SELECT runs in the
// memory of one row. next() parks the calling greenlet only when the next row has not arrived yet.
// A statement that returns several results (a multi-statement query, a CALL) is walked with
// next_result(). Until the server has sent everything its connection serves nothing else (a
// finished Cursor lets go of it at once); destroying one before its end closes the connection (the
// unread rows are not drained), so the connection is never left out of step with the server. A
// Cursor must not outlive its Connection. Obtained from Connection::query_stream / stream.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "fern/clients/mysql/result.hpp"
#include "fern/clients/mysql/row.hpp"

namespace fern::mysql {

class Session;
class RowSource;

class Cursor {
 public:
  Cursor(Cursor&& other) noexcept;
  Cursor& operator=(Cursor&& other) = delete;
  ~Cursor();

  // Reads the next row of the current result into `row` (reusing its storage); false at its end.
  bool next(Row& row);
  std::optional<Row> next();
  // Reads the rest of the current result into memory.
  Result collect();

  // The current result's columns (empty for a statement without rows).
  const Columns& columns() const;
  bool has_rows() const;
  std::uint64_t affected_rows() const;
  std::uint64_t insert_id() const;
  // Skips what is left of the current result and moves to the next; false when there is none, and
  // the Cursor is then finished (its connection is free again).
  bool next_result();
  bool finished() const noexcept;

 private:
  friend class Connection;
  Cursor(Session& session, std::unique_ptr<RowSource> source);
  void release_when_finished() noexcept;
  Session* session_;
  std::unique_ptr<RowSource> source_;
  bool held_ = true;  // the connection serves this Cursor only
};

}  // namespace fern::mysql
