#include "fern/clients/amqp/proto/frame_parser.hpp"

#include <algorithm>
#include <cstring>

#include "fern/base/error.hpp"

namespace fern::amqp {
namespace {

std::uint32_t effective_limit(std::uint32_t frame_max) noexcept {
  return frame_max == 0 ? kMaxFrameSize : std::min(frame_max, kMaxFrameSize);
}

bool known_type(std::uint8_t type) noexcept { return type == 1 || type == 2 || type == 3 || type == 8; }

}  // namespace

FrameParser::FrameParser(std::uint32_t frame_max) : frame_max_(effective_limit(frame_max)) {}

void FrameParser::set_frame_max(std::uint32_t frame_max) noexcept { frame_max_ = effective_limit(frame_max); }

std::span<char> FrameParser::prepare(std::size_t min_size) {
  if (begin_ == end_) begin_ = end_ = 0;
  if (buffer_.size() - end_ < min_size && begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (buffer_.size() - end_ < min_size) buffer_.resize(std::max(end_ + min_size, buffer_.size() * 2));
  return {buffer_.data() + end_, buffer_.size() - end_};
}

void FrameParser::feed(std::string_view bytes) {
  std::span<char> room = prepare(bytes.size());
  if (!bytes.empty()) std::memcpy(room.data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

std::optional<Frame> FrameParser::next(std::error_code& ec) {
  if (failed()) {
    ec = make_error_code(Errc::protocol_error);
    return std::nullopt;
  }
  const std::size_t avail = end_ - begin_;
  if (avail == 0) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + begin_);
  if (!known_type(p[0])) {
    if (p[0] == 'A') {
      fail("the peer answered with a protocol header: it does not accept AMQP 0-9-1");
    } else {
      fail("unknown frame type " + std::to_string(p[0]));
    }
    ec = make_error_code(Errc::protocol_error);
    return std::nullopt;
  }
  if (avail < kFrameHeaderSize) return std::nullopt;
  const std::uint32_t size = (std::uint32_t{p[3]} << 24) | (std::uint32_t{p[4]} << 16) |
                             (std::uint32_t{p[5]} << 8) | std::uint32_t{p[6]};
  if (std::uint64_t{size} + kFrameOverhead > frame_max_) {
    fail("a frame of " + std::to_string(size) + " payload bytes exceeds frame_max " +
         std::to_string(frame_max_));
    ec = make_error_code(Errc::protocol_error);
    return std::nullopt;
  }
  if (avail < size + kFrameOverhead) return std::nullopt;
  if (p[kFrameHeaderSize + size] != kFrameEnd) {
    fail("a frame does not end with 0xCE");
    ec = make_error_code(Errc::protocol_error);
    return std::nullopt;
  }
  Frame frame;
  frame.type = static_cast<FrameType>(p[0]);
  frame.channel = static_cast<std::uint16_t>((p[1] << 8) | p[2]);
  frame.payload = std::string_view(buffer_.data() + begin_ + kFrameHeaderSize, size);
  begin_ += size + kFrameOverhead;
  consumed_ += size + kFrameOverhead;
  return frame;
}

void FrameParser::fail(std::string message) {
  error_ = std::move(message) + " (frame at stream offset " + std::to_string(consumed_) + ")";
}

void FrameParser::reset() noexcept {
  begin_ = end_ = 0;
  consumed_ = 0;
  error_.clear();
}

}  // namespace fern::amqp
