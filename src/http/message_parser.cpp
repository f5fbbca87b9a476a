// MessageParser, part two: the input buffer, the event loop, and the body framings (Content-Length,
// chunked with extensions and trailers, until close).
#include "fern/http/message_parser.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "fern/base/error.hpp"
#include "syntax.hpp"

namespace fern::http {
namespace {

// Above this capacity an input buffer that is mostly empty is given back, so one large burst does
// not pin its memory for the life of a keep-alive connection.
constexpr std::size_t kShrinkAbove = 1 << 20;

// quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE; returns its length, or 0 if malformed.
std::size_t quoted_string_length(std::string_view s) {
  for (std::size_t i = 1; i < s.size(); ++i) {
    if (s[i] == '"') return i + 1;
    if (s[i] == '\\' && ++i == s.size()) return 0;
    if (!syntax::is_field_char(s[i])) return 0;
  }
  return 0;
}

std::string_view skip_ows(std::string_view s) {
  while (!s.empty() && syntax::is_ows(s.front())) s.remove_prefix(1);
  return s;
}

std::size_t token_length(std::string_view s) {
  std::size_t n = 0;
  while (n < s.size() && syntax::is_tchar(s[n])) ++n;
  return n;
}

// chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ); the extensions carry
// no meaning for fern and are checked only so that garbage after the size is refused.
bool valid_chunk_extensions(std::string_view s) {
  while (!s.empty()) {
    s = skip_ows(s);
    if (s.empty() || s.front() != ';') return false;
    s = skip_ows(s.substr(1));
    std::size_t name = token_length(s);
    if (name == 0) return false;
    s.remove_prefix(name);
    // BWS after the name belongs to an "=" that follows; otherwise it must lead to the next ";", so
    // "1;a \r\n" is refused as "1 \r\n" and "1;a=b \r\n" are.
    const std::string_view after = skip_ows(s);
    if (after.empty() || after.front() != '=') continue;
    s = skip_ows(after.substr(1));
    std::size_t value = !s.empty() && s.front() == '"' ? quoted_string_length(s) : token_length(s);
    if (value == 0) return false;
    s.remove_prefix(value);
  }
  return true;
}

}  // namespace

MessageParser::MessageParser(Role role, const ParserLimits& limits) : role_(role), limits_(limits) {
  // Offsets into a head are 32-bit; larger limits would be meaningless anyway.
  constexpr std::size_t kMaxBlock = std::numeric_limits<std::uint32_t>::max() / 2;
  limits_.max_header_block = std::min(limits_.max_header_block, kMaxBlock);
  limits_.max_start_line = std::min(limits_.max_start_line, kMaxBlock);
  limits_.max_chunk_line = std::min(limits_.max_chunk_line, kMaxBlock);
}

void MessageParser::feed(std::string_view bytes) {
  in_.resize(in_.size() - prepared_);
  prepared_ = 0;
  if (state_ == State::failed || bytes.empty()) return;
  compact();
  in_.insert(in_.end(), bytes.begin(), bytes.end());
}

std::span<char> MessageParser::prepare(std::size_t max_bytes) {
  in_.resize(in_.size() - prepared_);
  compact();
  const std::size_t old_size = in_.size();
  in_.resize(old_size + max_bytes);
  prepared_ = max_bytes;
  return {in_.data() + old_size, max_bytes};
}

void MessageParser::commit(std::size_t bytes) {
  if (bytes > prepared_) throw_error(Errc::invalid_argument, "http parser: commit() beyond prepare()");
  in_.resize(in_.size() - prepared_ + (state_ == State::failed ? 0 : bytes));
  prepared_ = 0;
}

// Drops consumed bytes when that moves no more than it frees, which keeps feeding amortized O(1).
void MessageParser::compact() {
  if (pos_ == 0 || pos_ < available()) return;
  in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(pos_));
  pos_ = 0;
  body_ = {};
  if (in_.capacity() > kShrinkAbove && in_.size() * 4 < in_.capacity()) std::vector<char>(in_).swap(in_);
}

std::string_view MessageParser::buffered() const noexcept { return {in_.data() + pos_, available()}; }

std::string MessageParser::take_buffered() {
  std::string bytes(buffered());
  in_.resize(in_.size() - prepared_);
  prepared_ = 0;
  pos_ = in_.size();
  body_ = {};
  scan_ = {};
  return bytes;
}

std::string_view MessageParser::start_part(int index) const noexcept {
  const Span& part = start_parts_[index];
  return {head_.data() + part.offset, part.length};
}

void MessageParser::push_request_method(std::string_view method) {
  pending_methods_.push_back(method == "HEAD"      ? PendingMethod::head
                             : method == "CONNECT" ? PendingMethod::connect
                                                   : PendingMethod::other);
}

ParseEvent MessageParser::fail(ParseError e) {
  state_ = State::failed;
  error_ = make_error_code(e);
  body_ = {};
  return ParseEvent::error;
}

ParseEvent MessageParser::next_event() {
  body_ = {};
  for (;;) {
    if (Step event = step()) return *event;
  }
}

MessageParser::Step MessageParser::step() {
  switch (state_) {
    case State::head: return read_head();
    case State::body_length: return read_length_body();
    case State::chunk_size: return read_chunk_size();
    case State::chunk_data: return read_chunk_data();
    case State::chunk_data_end: return read_chunk_data_end();
    case State::trailers: return read_trailers();
    case State::body_until_close: return read_until_close();
    case State::message_done: return complete_message();
    case State::closed: return ParseEvent::closed;
    case State::failed: return ParseEvent::error;
  }
  return ParseEvent::error;
}

MessageParser::Step MessageParser::read_head() {
  switch (scan_block(false)) {
    case ScanStatus::done: return finish_head();
    case ScanStatus::failed: return ParseEvent::error;
    case ScanStatus::need_more: break;
  }
  if (eof_ && available() == 0) {
    state_ = State::closed;  // EOF between messages: the normal end of a connection
    return ParseEvent::closed;
  }
  return need_data();
}

// Nothing more to parse: ask for bytes, or fail when none will come.
MessageParser::Step MessageParser::need_data() {
  return eof_ ? fail(ParseError::unexpected_eof) : ParseEvent::need_data;
}

ParseEvent MessageParser::deliver_body(std::size_t bytes) {
  body_ = {in_.data() + pos_, bytes};
  pos_ += bytes;
  body_total_ += bytes;
  return ParseEvent::body;
}

MessageParser::Step MessageParser::read_length_body() {
  if (available() == 0) return need_data();
  const auto bytes = static_cast<std::size_t>(std::min<std::uint64_t>(available(), remaining_));
  remaining_ -= bytes;
  if (remaining_ == 0) state_ = State::message_done;
  return deliver_body(bytes);
}

// chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF; last-chunk has size 0.
MessageParser::Step MessageParser::read_chunk_size() {
  const char* base = in_.data() + pos_;
  const std::size_t avail = available();
  const void* lf = chunk_scan_ < avail ? std::memchr(base + chunk_scan_, '\n', avail - chunk_scan_) : nullptr;
  if (lf == nullptr) {
    chunk_scan_ = avail;
    // As for head lines: fail on a partial line only when the whole line must fail too.
    if (avail > limits_.max_chunk_line + 1) return fail(ParseError::chunk_line_too_long);
    return need_data();
  }
  const auto line_end = static_cast<std::size_t>(static_cast<const char*>(lf) - base);
  if (line_end + 1 > limits_.max_chunk_line + 2) return fail(ParseError::chunk_line_too_long);
  if (line_end == 0 || base[line_end - 1] != '\r') return fail(ParseError::bad_line_ending);
  if (!parse_chunk_line({base, line_end - 1})) return ParseEvent::error;
  pos_ += line_end + 1;
  chunk_scan_ = 0;
  if (remaining_ == 0) {
    state_ = State::trailers;
    scan_ = {};
    scan_.start_line_done = true;
  } else {
    state_ = State::chunk_data;
  }
  return std::nullopt;
}

bool MessageParser::parse_chunk_line(std::string_view line) {
  std::uint64_t size = 0;
  std::size_t digits = 0;
  for (; digits < line.size() && syntax::hex_value(line[digits]) >= 0; ++digits) {
    if (size > (std::numeric_limits<std::uint64_t>::max() >> 4)) return reject(ParseError::bad_chunk_size);
    size = size << 4 | static_cast<std::uint64_t>(syntax::hex_value(line[digits]));
  }
  if (digits == 0) return reject(ParseError::bad_chunk_size);
  if (!valid_chunk_extensions(line.substr(digits))) return reject(ParseError::bad_chunk_extension);
  if (size > limits_.max_body - std::min(body_total_, limits_.max_body)) {
    return reject(ParseError::body_too_large);
  }
  remaining_ = size;
  return true;
}

MessageParser::Step MessageParser::read_chunk_data() {
  if (available() == 0) return need_data();
  const auto bytes = static_cast<std::size_t>(std::min<std::uint64_t>(available(), remaining_));
  remaining_ -= bytes;
  if (remaining_ == 0) state_ = State::chunk_data_end;
  return deliver_body(bytes);
}

MessageParser::Step MessageParser::read_chunk_data_end() {
  const char* base = in_.data() + pos_;
  if (available() >= 1 && base[0] != '\r') return fail(ParseError::bad_chunk_end);
  if (available() < 2) return need_data();
  if (base[1] != '\n') return fail(ParseError::bad_chunk_end);
  pos_ += 2;
  state_ = State::chunk_size;
  return std::nullopt;
}

// trailer-section = *( field-line CRLF ) CRLF, under the same limits as the head.
MessageParser::Step MessageParser::read_trailers() {
  switch (scan_block(true)) {
    case ScanStatus::done:
      copy_block(scan_.line_start, trailer_buffer_, trailer_fields_);
      return complete_message();
    case ScanStatus::failed: return ParseEvent::error;
    case ScanStatus::need_more: break;
  }
  return need_data();
}

// A response body without length ends when the connection does.
MessageParser::Step MessageParser::read_until_close() {
  if (available() == 0) return eof_ ? complete_message() : ParseEvent::need_data;
  // Deliver up to the limit before failing, so the verdict does not depend on how bytes arrive.
  const std::uint64_t room = limits_.max_body - std::min(body_total_, limits_.max_body);
  if (room == 0) return fail(ParseError::body_too_large);
  return deliver_body(static_cast<std::size_t>(std::min<std::uint64_t>(available(), room)));
}

ParseEvent MessageParser::complete_message() {
  if (role_ == Role::response && !interim_ && !pending_methods_.empty()) pending_methods_.pop_front();
  if (upgrade_ && role_ == Role::response) {
    state_ = State::closed;  // the bytes that follow belong to another protocol: take_buffered()
  } else if (interim_ || keep_alive_) {
    state_ = State::head;
  } else {
    state_ = State::closed;
  }
  scan_ = {};
  return ParseEvent::message_complete;
}

}  // namespace fern::http
