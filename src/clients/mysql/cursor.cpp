#include "fern/clients/mysql/cursor.hpp"

#include "row_source.hpp"
#include "session.hpp"

namespace fern::mysql {

Cursor::Cursor(Session& session, std::unique_ptr<RowSource> source)
    : session_(&session), source_(std::move(source)) {
  session.cursor_open_ = true;
}

Cursor::Cursor(Cursor&& other) noexcept : session_(other.session_), source_(std::move(other.source_)) {
  other.session_ = nullptr;
}

Cursor::~Cursor() {
  if (!session_) return;
  if (!source_->finished_ && session_->usable()) {
    // Unread rows are still coming: rather than read (maybe millions of) rows nobody wants, close.
    session_->shut_socket();
    session_->mark_lost();
  }
  source_.reset();
  session_->cursor_open_ = false;
}

namespace {
// A failure that leaves rows unread in the socket must not leave the connection looking usable.
template <class F>
auto guarded(Session& session, RowSource& source, F&& f) {
  try {
    return f();
  } catch (...) {
    if (!source.finished_ && session.usable()) {
      session.shut_socket();
      session.mark_lost();
    }
    throw;
  }
}
}  // namespace

bool Cursor::next(Row& row) {
  return guarded(*session_, *source_, [&] { return source_->next(row); });
}

std::optional<Row> Cursor::next() {
  Row row;
  if (!next(row)) return std::nullopt;
  return row;
}

Result Cursor::collect() {
  return guarded(*session_, *source_, [&] { return source_->collect(); });
}

const Columns& Cursor::columns() const { return *source_->columns_; }
bool Cursor::has_rows() const { return source_->has_rows_; }
std::uint64_t Cursor::affected_rows() const { return source_->affected_rows_; }
std::uint64_t Cursor::insert_id() const { return source_->insert_id_; }
bool Cursor::finished() const noexcept { return source_->finished_; }

bool Cursor::next_result() {
  return guarded(*session_, *source_, [&] { return source_->next_result(); });
}

}  // namespace fern::mysql
