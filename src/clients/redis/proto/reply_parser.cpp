#include "fern/clients/redis/proto/reply_parser.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <utility>

#include "fern/base/error.hpp"

namespace fern::redis {
namespace {

using detail::ReplyNode;

// "-9223372036854775808": the longest integer or length line a correct peer can send.
constexpr std::size_t kMaxNumberLine = 20;
// Input grows by at least this much, so byte-by-byte feeding does not reallocate per byte.
constexpr std::size_t kMinInputGrowth = 4096;
// The most a bulk header makes us reserve ahead of the body bytes that back it: enough that bodies up
// to 1 MiB are copied once, little enough that a lying length costs a peer nothing worth having.
constexpr std::uint64_t kBulkReserveAhead = 1024 * 1024;
// Node indexes are 32-bit; ReplyNode::none is taken.
constexpr std::uint64_t kMaxNodes = ReplyNode::none - 1;

std::string describe_byte(char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u < 0x7f) return std::string{'\'', c, '\''};
  return std::string{'0', 'x', kHex[u >> 4], kHex[u & 0xf]};
}

// The type bytes whose line is a decimal number (an integer, a length or a count).
bool has_number_line(char type) noexcept {
  switch (type) {
    case ':':
    case '$':
    case '!':
    case '=':
    case '*':
    case '%':
    case '~':
    case '>':
    case '|': return true;
    default: return false;
  }
}

bool is_type_byte(char type) noexcept {
  switch (type) {
    case '+':
    case '-':
    case ',':
    case '#':
    case '_':
    case '(': return true;
    default: return has_number_line(type);
  }
}

Kind aggregate_kind(char type) noexcept {
  switch (type) {
    case '%': return Kind::map;
    case '~': return Kind::set;
    case '>': return Kind::push;
    case '|': return Kind::attribute;
    default: return Kind::array;
  }
}

struct ParsedInteger {
  bool ok = false;
  std::int64_t value = 0;
  std::size_t bad_at = 0;  // index in the line of the offending byte
  const char* why = "";
};

// [sign]digits, the whole line, within the 64-bit range. Lengths and counts allow no '+'.
ParsedInteger parse_integer(std::string_view line, bool allow_plus) {
  std::size_t i = 0;
  bool negative = false;
  if (!line.empty() && (line[0] == '-' || (allow_plus && line[0] == '+'))) {
    negative = line[0] == '-';
    i = 1;
  }
  if (i == line.size()) return {false, 0, i, "has no digits"};
  const std::uint64_t limit = negative ? (std::uint64_t{1} << 63) : (std::uint64_t{1} << 63) - 1;
  std::uint64_t magnitude = 0;
  for (; i < line.size(); ++i) {
    char c = line[i];
    if (c < '0' || c > '9') return {false, 0, i, "has a byte that is not a digit"};
    auto digit = static_cast<std::uint64_t>(c - '0');
    if (magnitude > (limit - digit) / 10) return {false, 0, 0, "is outside the 64-bit range"};
    magnitude = magnitude * 10 + digit;
  }
  // Two's complement conversion is well defined since C++20.
  auto value = static_cast<std::int64_t>(negative ? ~magnitude + 1 : magnitude);
  return {true, value, 0, ""};
}

bool parse_double(std::string_view line, double& value) {
  if (!line.empty() && line[0] == '+') {
    line.remove_prefix(1);
    if (!line.empty() && line[0] == '-') return false;
  }
  if (line.empty()) return false;
  auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), value);
  return ec == std::errc() && end == line.data() + line.size();
}

bool is_big_number(std::string_view line) {
  if (!line.empty() && (line[0] == '-' || line[0] == '+')) line.remove_prefix(1);
  return !line.empty() && std::all_of(line.begin(), line.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string quoted(std::string_view line) { return "'" + std::string(line.substr(0, kMaxNumberLine)) + "'"; }

}  // namespace

// --- input ---------------------------------------------------------------------------------------

std::span<char> ReplyParser::prepare(std::size_t min_size) {
  if (begin_ == end_) begin_ = end_ = 0;
  if (input_.size() - end_ < min_size) {
    if (begin_ > 0) {
      std::memmove(input_.data(), input_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (input_.size() - end_ < min_size) {
      input_.resize(std::max(input_.size() * 2, end_ + std::max(min_size, kMinInputGrowth)));
    }
  }
  return {input_.data() + end_, input_.size() - end_};
}

void ReplyParser::commit(std::size_t size) {
  if (failed()) return;
  if (size > input_.size() - end_) {
    throw_error(Errc::invalid_argument, "ReplyParser::commit: more bytes than prepare() provided");
  }
  end_ += size;
}

void ReplyParser::feed(std::string_view bytes) {
  if (failed() || bytes.empty()) return;
  std::span<char> space = prepare(bytes.size());
  std::memcpy(space.data(), bytes.data(), bytes.size());
  end_ += bytes.size();
}

void ReplyParser::advance(std::size_t n) noexcept {
  begin_ += n;
  consumed_ += n;
}

bool ReplyParser::idle() const noexcept {
  return !failed() && begin_ == end_ && !bulk_.active && frames_.empty() &&
         root_attribute_ == ReplyNode::none;
}

void ReplyParser::clear_reply() noexcept {
  frames_.clear();
  values_.clear();
  storage_ = {};
  root_ = {};
  root_attribute_ = ReplyNode::none;
  bulk_ = {};
}

void ReplyParser::reset() {
  clear_reply();
  begin_ = end_ = 0;
  line_scanned_ = 0;
  consumed_ = 0;
  error_.clear();
  message_.clear();
  error_offset_ = 0;
}

ReplyParser::Step ReplyParser::fail(std::error_code ec, std::uint64_t offset, const std::string& what) {
  error_ = ec;
  error_offset_ = offset;
  message_ = "redis reply: " + what + " at byte " + std::to_string(offset);
  // A failed stream is never read again: drop the partial reply a hostile peer made us hold. The
  // input buffer stays allocated, so a span from prepare() is still valid for the caller's recv.
  clear_reply();
  begin_ = end_ = 0;
  return Step::failed;
}

// --- replies -------------------------------------------------------------------------------------

std::optional<Reply> ReplyParser::next() {
  std::error_code ec;
  std::optional<Reply> reply = next(ec);
  if (ec) throw_error(ec, message_.c_str());
  return reply;
}

std::optional<Reply> ReplyParser::next(std::error_code& ec) {
  for (;;) {
    if (failed()) {
      ec = error_;
      return std::nullopt;
    }
    switch (step()) {
      case Step::need_more: ec.clear(); return std::nullopt;
      case Step::failed: continue;
      case Step::progress: continue;
      case Step::reply_done: {
        // Frames, values and the bulk state are already empty when a reply completes.
        Reply reply(root_, std::move(storage_));
        storage_.nodes.clear();  // moved-from: valid, now also known empty
        storage_.bytes.clear();
        ec.clear();
        return reply;
      }
    }
  }
}

ReplyParser::Step ReplyParser::step() { return bulk_.active ? read_bulk_body() : read_header(); }

// Finds the CRLF ending the header line at begin_; a bare CR or LF is an error, as is a line longer
// than its limit. Decisions depend only on the bytes, never on how they were chunked.
ReplyParser::Step ReplyParser::read_header() {
  if (begin_ == end_) return Step::need_more;
  const char* content = input_.data() + begin_ + 1;
  const std::size_t have = end_ - begin_ - 1;
  const char type = content[-1];
  if (!is_type_byte(type)) {
    return fail(Errc::protocol_error, consumed_, "unknown type byte " + describe_byte(type));
  }
  const bool number = has_number_line(type);
  const std::size_t cap = number ? kMaxNumberLine : limits_.max_line_length;
  const std::size_t stop = std::min(have, cap + 1);  // a CR may sit at index cap
  std::size_t i = line_scanned_;
  const auto* cr = static_cast<const char*>(std::memchr(content + i, '\r', stop - i));
  const std::size_t cr_at = cr ? static_cast<std::size_t>(cr - content) : stop;
  if (const void* lf = std::memchr(content + i, '\n', cr_at - i)) {
    return fail(Errc::protocol_error,
                consumed_ + 1 + static_cast<std::size_t>(static_cast<const char*>(lf) - content),
                "line feed without a carriage return");
  }
  i = cr_at;
  if (cr && cr_at + 1 < have) {
    if (content[cr_at + 1] != '\n') {
      return fail(Errc::protocol_error, consumed_ + 2 + cr_at, "carriage return not followed by a line feed");
    }
    const std::uint64_t line_offset = consumed_ + 1;
    advance(cr_at + 3);
    line_scanned_ = 0;
    return finish_line(type, std::string_view(content, cr_at), line_offset);
  }
  if (i > cap) {
    if (number) {
      return fail(Errc::protocol_error, consumed_ + 1 + cap,
                  "number after type byte " + describe_byte(type) + " is longer than 20 bytes");
    }
    return fail(Errc::limit_exceeded, consumed_ + 1 + cap,
                "line longer than max_line_length (" + std::to_string(cap) + ")");
  }
  line_scanned_ = i;
  return Step::need_more;
}

ReplyNode ReplyParser::text_node(Kind kind, std::string_view text) {
  ReplyNode node;
  node.kind = kind;
  node.payload.span = {storage_.bytes.size(), text.size()};
  storage_.bytes.append(text);
  return node;
}

// A complete header line `line` (without type byte and CRLF) starting at stream offset line_offset.
ReplyParser::Step ReplyParser::finish_line(char type, std::string_view line, std::uint64_t line_offset) {
  if (storage_.nodes.size() + values_.size() >= kMaxNodes) {
    return fail(Errc::limit_exceeded, line_offset - 1,
                "reply has more than " + std::to_string(kMaxNodes) + " values in all");
  }
  ReplyNode node;
  switch (type) {
    case '+': return deliver(text_node(Kind::simple_string, line));
    case '-': return deliver(text_node(Kind::error, line));
    case '(':
      if (!is_big_number(line)) return fail(Errc::protocol_error, line_offset, "malformed big number");
      return deliver(text_node(Kind::big_number, line));
    case ':': {
      ParsedInteger n = parse_integer(line, true);
      if (!n.ok) {
        return fail(Errc::protocol_error, line_offset + n.bad_at, "integer " + quoted(line) + " " + n.why);
      }
      node.kind = Kind::integer;
      node.payload.integer = n.value;
      return deliver(node);
    }
    case ',':
      node.kind = Kind::double_;
      if (!parse_double(line, node.payload.real)) {
        return fail(Errc::protocol_error, line_offset, "malformed double " + quoted(line));
      }
      return deliver(node);
    case '#':
      if (line != "t" && line != "f") {
        return fail(Errc::protocol_error, line_offset, "boolean is not 't' or 'f'");
      }
      node.kind = Kind::boolean;
      node.payload.boolean = line == "t";
      return deliver(node);
    case '_':
      if (!line.empty()) return fail(Errc::protocol_error, line_offset, "null has bytes before its CRLF");
      return deliver(node);
    case '$':
    case '!':
    case '=': return start_bulk(type, line, line_offset);
    default: return open_aggregate(type, line, line_offset);
  }
}

ReplyParser::Step ReplyParser::start_bulk(char type, std::string_view line, std::uint64_t line_offset) {
  if (line == "?") {
    return fail(Errc::protocol_error, line_offset, "streamed RESP3 strings are not supported");
  }
  ParsedInteger n = parse_integer(line, false);
  if (!n.ok) {
    return fail(Errc::protocol_error, line_offset + n.bad_at, "bulk length " + quoted(line) + " " + n.why);
  }
  if (n.value < 0) {
    if (n.value == -1 && type == '$') return deliver(ReplyNode{});
    return fail(Errc::protocol_error, line_offset, "bulk length " + std::to_string(n.value) + " is negative");
  }
  const auto length = static_cast<std::uint64_t>(n.value);
  if (length > limits_.max_bulk_length) {
    return fail(Errc::limit_exceeded, line_offset,
                "bulk length " + std::to_string(length) + " exceeds max_bulk_length (" +
                    std::to_string(limits_.max_bulk_length) + ")");
  }
  if (type == '=' && length < 4) {
    return fail(Errc::protocol_error, line_offset,
                "verbatim string of " + std::to_string(length) + " bytes has no room for its 'fmt:' prefix");
  }
  bulk_.active = true;
  bulk_.node = ReplyNode{};
  bulk_.node.kind = type == '$' ? Kind::bulk_string : type == '!' ? Kind::error : Kind::verbatim_string;
  bulk_.node.payload.span = {storage_.bytes.size(), length};
  bulk_.remaining = length;
  bulk_.body_offset = consumed_;
  // Reserve what is declared only as far as bytes already back it; growth beyond is geometric.
  storage_.bytes.reserve(storage_.bytes.size() +
                         std::min<std::uint64_t>(length, buffered() + kBulkReserveAhead));
  return read_bulk_body();
}

ReplyParser::Step ReplyParser::read_bulk_body() {
  if (bulk_.remaining > 0) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buffered(), bulk_.remaining));
    storage_.bytes.append(input_.data() + begin_, n);
    advance(n);
    bulk_.remaining -= n;
    if (bulk_.remaining > 0) return Step::need_more;
  }
  const ReplyNode& node = bulk_.node;
  if (node.kind == Kind::verbatim_string && storage_.bytes[node.payload.span.begin + 3] != ':') {
    return fail(Errc::protocol_error, bulk_.body_offset + 3,
                "verbatim string has no ':' after its 3-byte format");
  }
  if (buffered() == 0) return Step::need_more;
  if (input_[begin_] != '\r') return missing_bulk_crlf(consumed_);
  if (buffered() < 2) return Step::need_more;
  if (input_[begin_ + 1] != '\n') return missing_bulk_crlf(consumed_ + 1);
  advance(2);
  bulk_.active = false;
  return deliver(node);
}

ReplyParser::Step ReplyParser::missing_bulk_crlf(std::uint64_t offset) {
  return fail(
      Errc::protocol_error, offset,
      "bulk string of " + std::to_string(bulk_.node.payload.span.size) + " bytes is not followed by CRLF");
}

ReplyParser::Step ReplyParser::open_aggregate(char type, std::string_view line, std::uint64_t line_offset) {
  if (line == "?") {
    return fail(Errc::protocol_error, line_offset, "streamed RESP3 aggregates are not supported");
  }
  ParsedInteger n = parse_integer(line, false);
  if (!n.ok) {
    return fail(Errc::protocol_error, line_offset + n.bad_at,
                "aggregate length " + quoted(line) + " " + n.why);
  }
  if (n.value < 0) {
    if (n.value == -1 && type == '*') return deliver(ReplyNode{});
    return fail(Errc::protocol_error, line_offset,
                "aggregate length " + std::to_string(n.value) + " is negative");
  }
  const Kind kind = aggregate_kind(type);
  const bool pairs = kind == Kind::map || kind == Kind::attribute;
  const std::uint64_t elements = static_cast<std::uint64_t>(n.value) * (pairs ? 2 : 1);
  if (elements > limits_.max_aggregate_elements) {
    return fail(Errc::limit_exceeded, line_offset,
                std::string(kind_name(kind)) + " of " + std::to_string(elements) +
                    " elements exceeds max_aggregate_elements (" +
                    std::to_string(limits_.max_aggregate_elements) + ")");
  }
  if (frames_.size() >= limits_.max_depth) {
    return fail(Errc::limit_exceeded, line_offset - 1,
                "aggregate nested deeper than max_depth (" + std::to_string(limits_.max_depth) + ")");
  }
  if (kind == Kind::attribute && pending_attribute() != ReplyNode::none) {
    return fail(Errc::protocol_error, line_offset - 1, "attribute follows an attribute");
  }
  ReplyNode node;
  node.kind = kind;
  if (elements == 0) {
    node.payload.span = {storage_.nodes.size(), 0};
    return deliver(node);
  }
  frames_.push_back(Frame{node, elements, values_.size()});
  return Step::progress;
}

std::uint32_t& ReplyParser::pending_attribute() noexcept {
  return frames_.empty() ? root_attribute_ : frames_.back().pending_attribute;
}

// A finished value at the current level: attach the attribute sent before it, hand it to its parent,
// and close every aggregate that it completes.
ReplyParser::Step ReplyParser::deliver(ReplyNode node) {
  for (;;) {
    if (node.kind == Kind::attribute) {
      pending_attribute() = static_cast<std::uint32_t>(storage_.nodes.size());
      storage_.nodes.push_back(node);
      return Step::progress;
    }
    node.attribute = std::exchange(pending_attribute(), ReplyNode::none);
    if (frames_.empty()) {
      root_ = node;
      return Step::reply_done;
    }
    values_.push_back(node);
    if (--frames_.back().remaining > 0) return Step::progress;
    node = close_frame();
  }
}

// Moves the children of the innermost frame, now complete, to the reply as one contiguous run.
ReplyNode ReplyParser::close_frame() {
  Frame frame = frames_.back();
  frames_.pop_back();
  const auto first = values_.begin() + static_cast<std::ptrdiff_t>(frame.first_child);
  frame.node.payload.span = {storage_.nodes.size(), values_.size() - frame.first_child};
  storage_.nodes.insert(storage_.nodes.end(), first, values_.end());
  values_.erase(first, values_.end());
  return frame.node;
}

}  // namespace fern::redis
