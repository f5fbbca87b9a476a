#include "fern/clients/mysql/cursor.hpp"

#include "row_source.hpp"
#include "session.hpp"

namespace fern::mysql {

Cursor::Cursor(Session& session, std::unique_ptr<RowSource> source)
    : session_(&session), source_(std::move(source)) {
  session.cursor_open_ = true;
  release_when_finished();
}

Cursor::Cursor(Cursor&& other) noexcept
    : session_(other.session_), source_(std::move(other.source_)), held_(other.held_) {
  other.session_ = nullptr;
}

Cursor::~Cursor() {
  if (!session_ || !held_) return;
  if (!source_->finished_ && session_->usable()) {
    // Unread rows are still coming: rather than read (maybe millions of) rows nobody wants, close.
    session_->shut_socket();
    session_->mark_lost();
  }
  source_.reset();
  session_->cursor_open_ = false;
}

void Cursor::release_when_finished() noexcept {
  // The server has sent everything: the connection serves other calls while this Cursor lives on.
  if (session_ && source_->finished_ && session_->cursor_open_) {
    session_->cursor_open_ = false;
    held_ = false;
  }
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
  if (!held_) return false;
  bool more = guarded(*session_, *source_, [&] { return source_->next(row); });
  release_when_finished();
  return more;
}

std::optional<Row> Cursor::next() {
  Row row;
  if (!next(row)) return std::nullopt;
  return row;
}

Result Cursor::collect() {
  if (!held_) return Result{};
  Result r = guarded(*session_, *source_, [&] { return source_->collect(); });
  release_when_finished();
  return r;
}

const Columns& Cursor::columns() const { return *source_->columns_; }
bool Cursor::has_rows() const { return source_->has_rows_; }
std::uint64_t Cursor::affected_rows() const { return source_->affected_rows_; }
std::uint64_t Cursor::insert_id() const { return source_->insert_id_; }
bool Cursor::finished() const noexcept { return source_->finished_; }

bool Cursor::next_result() {
  if (!held_) return false;
  bool more = guarded(*session_, *source_, [&] { return source_->next_result(); });
  release_when_finished();
  return more;
}

}  // namespace fern::mysql
