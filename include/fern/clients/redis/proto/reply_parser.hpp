// ReplyParser: a sans-IO, incremental decoder of RESP2 and RESP3 replies. Bytes go in as they arrive
// from a socket, in chunks of any size and split anywhere (feed(), or prepare()/commit() to receive
// straight into the parser's buffer); complete replies come out of next() as owning Reply values.
// It never blocks and does no I/O: the cooperative client drives it.
//
// Bytes the peer sends that are not RESP put the parser in a failed state for good (until reset()):
// next() reports fern::Errc::protocol_error, or fern::Errc::limit_exceeded when a declared size passes
// a ParserLimits bound, with a message naming the offending byte's offset in the stream. Memory stays
// proportional to the bytes received and bounded by the limits: a declared length or count never
// makes the parser reserve more than a small, fixed amount ahead of the bytes that back it.
//
// Implementation: a shift-reduce parser over whole header lines. Scalars are finished as soon as their
// line (or bulk body) is complete; an aggregate is a frame on an explicit stack, and its finished
// children wait on a value stack until the last one arrives, when they move as one contiguous run into
// the reply's node vector. No recursion, so nesting depth costs heap, not stack. Bulk bodies are
// copied into the reply's arena as they arrive, so an 8 MiB string never needs an 8 MiB input buffer.
// Not thread-safe; one parser per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "fern/clients/redis/proto/reply.hpp"

namespace fern::redis {

// Bounds on what one reply may declare. The defaults accept anything a stock Redis sends.
struct ParserLimits {
  // Longest bulk, blob-error or verbatim string (Redis's own proto-max-bulk-len default).
  std::uint64_t max_bulk_length = 512ull * 1024 * 1024;
  // Most aggregates open at once: a scalar reply has depth 0, an array of scalars depth 1. An
  // attribute counts as a level. Nothing recurses per level, so this bounds memory, not stack.
  std::uint32_t max_depth = 128;
  // Most children one aggregate may declare; a map or attribute of n pairs has 2n.
  std::uint64_t max_aggregate_elements = 0xffff'fffeull;
  // Longest line of a simple string, error, double or big number (excluding its type byte and CRLF).
  // Integer and length lines are always limited to 20 bytes, the longest 64-bit decimal.
  std::size_t max_line_length = 1024 * 1024;
};

class ReplyParser {
 public:
  ReplyParser() = default;
  explicit ReplyParser(const ParserLimits& limits) : limits_(limits) {}

  ReplyParser(const ReplyParser&) = delete;
  ReplyParser& operator=(const ReplyParser&) = delete;
  ReplyParser(ReplyParser&&) noexcept = default;
  ReplyParser& operator=(ReplyParser&&) noexcept = default;
  ~ReplyParser() = default;

  // Appends received bytes (copied). Ignored, like everything else, once the parser has failed.
  void feed(std::string_view bytes);
  void feed(std::span<const std::byte> bytes) {
    feed(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }

  // Zero-copy input: prepare(n) returns at least n writable bytes at the end of the internal buffer
  // (valid until the next call on the parser), the caller receives into them, then commit(k) with the
  // k <= size() bytes actually written.
  std::span<char> prepare(std::size_t min_size);
  void commit(std::size_t size);

  // The next complete reply, or nullopt when more bytes are needed. Throws std::system_error with
  // error() and error_message() once the stream is malformed (and on every later call).
  std::optional<Reply> next();
  // The same without exceptions for protocol failures: nullopt with ec set. (Allocation can still
  // throw std::bad_alloc.)
  std::optional<Reply> next(std::error_code& ec);

  bool failed() const noexcept { return static_cast<bool>(error_); }
  std::error_code error() const noexcept { return error_; }
  // "redis reply: bulk length -2 is negative at byte 17"; empty while not failed.
  const std::string& error_message() const noexcept { return message_; }
  // Stream offset (bytes since construction or reset()) of the byte that caused the failure.
  std::uint64_t error_offset() const noexcept { return error_offset_; }

  // True when no reply is partly received: nothing buffered, nothing half-parsed. A connection is
  // only reusable in this state.
  bool idle() const noexcept;
  // Bytes received but not yet parsed.
  std::size_t buffered() const noexcept { return end_ - begin_; }
  // Bytes consumed from the stream so far.
  std::uint64_t offset() const noexcept { return consumed_; }
  const ParserLimits& limits() const noexcept { return limits_; }

  // Forgets all buffered bytes, any partial reply and any failure (for a new connection).
  void reset();

 private:
  enum class Step { need_more, progress, reply_done, failed };

  // An aggregate whose children are still arriving.
  struct Frame {
    detail::ReplyNode node;
    std::uint64_t remaining = 0;  // children still to come
    std::size_t first_child = 0;  // where its finished children start on values_
    std::uint32_t pending_attribute = detail::ReplyNode::none;  // annotates this frame's next child
  };

  // A bulk, blob-error or verbatim string whose body is still arriving.
  struct Bulk {
    bool active = false;
    detail::ReplyNode node;
    std::uint64_t remaining = 0;  // body bytes still to copy
    std::uint64_t body_offset = 0;
  };

  Step step();
  Step read_header();
  Step read_bulk_body();
  Step missing_bulk_crlf(std::uint64_t offset);
  Step finish_line(char type, std::string_view line, std::uint64_t line_offset);
  Step start_bulk(char type, std::string_view line, std::uint64_t line_offset);
  Step open_aggregate(char type, std::string_view line, std::uint64_t line_offset);
  Step deliver(detail::ReplyNode node);
  detail::ReplyNode close_frame();
  detail::ReplyNode text_node(Kind kind, std::string_view text);
  std::uint32_t& pending_attribute() noexcept;
  Step fail(std::error_code ec, std::uint64_t offset, const std::string& what);
  void advance(std::size_t n) noexcept;
  void clear_reply() noexcept;

  ParserLimits limits_;

  // Received bytes live in input_[begin_, end_); input_.size() is the capacity.
  std::vector<char> input_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t line_scanned_ = 0;  // bytes of the current header line already searched for CRLF
  std::uint64_t consumed_ = 0;    // stream offset of input_[begin_]

  // The reply being assembled.
  std::vector<Frame> frames_;
  std::vector<detail::ReplyNode> values_;  // finished children of open frames
  detail::ReplyStorage storage_;
  detail::ReplyNode root_;
  std::uint32_t root_attribute_ = detail::ReplyNode::none;
  Bulk bulk_;

  std::error_code error_;
  std::string message_;
  std::uint64_t error_offset_ = 0;
};

}  // namespace fern::redis
