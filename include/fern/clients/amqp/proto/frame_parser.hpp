// FrameParser: a sans-IO, incremental splitter of an AMQP 0-9-1 byte stream into frames. A frame
// is a 7-byte header (type octet, channel short, payload size long), the payload, and the 0xCE end
// octet. Bytes go in as they arrive, in chunks of any size split anywhere (feed(), or
// prepare()/commit() to receive straight into the parser's buffer); whole frames come out of
// next() as views into that buffer, without copying. It never blocks and does no I/O.
//
// A frame larger than frame_max (the negotiated limit, header and end octet included; 0 means no
// limit but kMaxFrameSize), an unknown frame type or a wrong end octet puts the parser in a failed
// state for good (until reset()): next() reports fern::Errc::protocol_error with a message naming
// the offset of the offending frame in the stream. A peer that answers our protocol header with
// its own ("AMQP" + a version) gets a message saying so.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace fern::amqp {

// What a client sends first: "AMQP", 0, then protocol version 0-9-1.
inline constexpr std::string_view kProtocolHeader{"AMQP\x00\x00\x09\x01", 8};
inline constexpr std::uint8_t kFrameEnd = 0xCE;
inline constexpr std::size_t kFrameHeaderSize = 7;
inline constexpr std::size_t kFrameOverhead = 8;  // header + end octet
// The smallest frame_max a peer may set, and the limit before tune.
inline constexpr std::uint32_t kFrameMinSize = 4096;
// The cap when frame_max is 0 ("no limit"): keeps one frame from claiming unbounded memory.
inline constexpr std::uint32_t kMaxFrameSize = 64u * 1024 * 1024;

enum class FrameType : std::uint8_t {
  method = 1,
  header = 2,  // content header
  body = 3,    // content body
  heartbeat = 8,
};

// One frame; `payload` points into the parser's buffer and stays valid until the next call to
// prepare(), feed() or reset().
struct Frame {
  FrameType type = FrameType::heartbeat;
  std::uint16_t channel = 0;
  std::string_view payload;
};

class FrameParser {
 public:
  explicit FrameParser(std::uint32_t frame_max = 131072);

  // The largest frame accepted (the whole frame); 0: kMaxFrameSize.
  void set_frame_max(std::uint32_t frame_max) noexcept;
  std::uint32_t frame_max() const noexcept { return frame_max_; }

  // Room for at least `min_size` bytes at the end of the buffer, to receive into; commit(n) adds
  // the n bytes written there. May move buffered bytes (invalidating earlier frames' payloads).
  std::span<char> prepare(std::size_t min_size);
  void commit(std::size_t n) noexcept { end_ += n; }
  void feed(std::string_view bytes);

  // The next whole frame, or nullopt when more bytes are needed or the stream is malformed (then
  // `ec` is set and stays set).
  std::optional<Frame> next(std::error_code& ec);

  // Why the parser failed, for messages; empty while it has not.
  const std::string& error_message() const noexcept { return error_; }
  bool failed() const noexcept { return !error_.empty(); }
  // No partial frame is buffered.
  bool idle() const noexcept { return begin_ == end_; }
  std::size_t buffered() const noexcept { return end_ - begin_; }
  void reset() noexcept;

 private:
  void fail(std::string message);

  std::vector<char> buffer_;
  std::size_t begin_ = 0;        // the next frame starts here
  std::size_t end_ = 0;          // received bytes end here
  std::uint64_t consumed_ = 0;   // stream offset of buffer_[begin_]
  std::uint32_t frame_max_ = 0;  // effective limit (never 0)
  std::string error_;
};

}  // namespace fern::amqp
