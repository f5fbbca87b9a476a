// FrameParser: frames come out whole from any chunking, payloads are views, and every malformed
// stream (oversized, unknown type, bad end octet, a protocol header reply) is a clear error.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fern/base/error.hpp"
#include "fern/clients/amqp/proto/frame_parser.hpp"
#include "fern/clients/amqp/proto/frame_writer.hpp"

namespace fern::amqp {
namespace {

struct Seen {
  FrameType type;
  std::uint16_t channel;
  std::string payload;
};

std::string sample_stream() {
  std::string out;
  append_method_frame(out, 0, methods::ConnectionTune{2047, 131072, 60});
  append_heartbeat(out);
  append_publish(out, 7, "ex", "rk", true, BasicProperties{}, std::string(10000, 'b'), 4096);
  append_ack(out, 7, 42, true);
  return out;
}

std::vector<Seen> parse_in_chunks(const std::string& stream, std::size_t chunk) {
  FrameParser parser;
  std::vector<Seen> seen;
  for (std::size_t at = 0; at < stream.size(); at += chunk) {
    parser.feed(std::string_view(stream).substr(at, chunk));
    std::error_code ec;
    while (auto f = parser.next(ec)) seen.push_back({f->type, f->channel, std::string(f->payload)});
    EXPECT_FALSE(ec) << parser.error_message();
  }
  EXPECT_TRUE(parser.idle());
  return seen;
}

TEST(AmqpFrameParser, AnyChunkingGivesTheSameFrames) {
  const std::string stream = sample_stream();
  const std::vector<Seen> whole = parse_in_chunks(stream, stream.size());
  // tune, heartbeat, publish + header + 3 bodies (10000 bytes at 4088 per frame), ack
  ASSERT_EQ(whole.size(), 8u);
  EXPECT_EQ(whole[0].type, FrameType::method);
  EXPECT_EQ(whole[1].type, FrameType::heartbeat);
  EXPECT_EQ(whole[3].type, FrameType::header);
  EXPECT_EQ(whole[4].payload.size(), 4088u);
  EXPECT_EQ(whole[6].payload.size(), 10000u - 2 * 4088u);
  EXPECT_EQ(whole[7].channel, 7);
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 8u, 100u, 4095u}) {
    const std::vector<Seen> parts = parse_in_chunks(stream, chunk);
    ASSERT_EQ(parts.size(), whole.size()) << chunk;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      EXPECT_EQ(parts[i].type, whole[i].type);
      EXPECT_EQ(parts[i].channel, whole[i].channel);
      EXPECT_EQ(parts[i].payload, whole[i].payload);
    }
  }
}

TEST(AmqpFrameParser, ReceivesInPlace) {
  const std::string stream = sample_stream();
  FrameParser parser;
  std::span<char> room = parser.prepare(stream.size());
  ASSERT_GE(room.size(), stream.size());
  std::copy(stream.begin(), stream.end(), room.begin());
  parser.commit(stream.size());
  std::error_code ec;
  int n = 0;
  while (parser.next(ec)) ++n;
  EXPECT_EQ(n, 8);
  EXPECT_FALSE(ec);
}

std::error_code parse_error(const std::string& bytes, std::uint32_t frame_max, std::string* message) {
  FrameParser parser(frame_max);
  parser.feed(bytes);
  std::error_code ec;
  while (parser.next(ec)) {
  }
  *message = parser.error_message();
  return ec;
}

TEST(AmqpFrameParser, OversizedFrameIsAProtocolError) {
  std::string out;
  append_frame(out, FrameType::body, 1, std::string(5000, 'x'));
  std::string message;
  EXPECT_EQ(parse_error(out, 4096, &message), Errc::protocol_error);
  EXPECT_NE(message.find("exceeds frame_max"), std::string::npos) << message;
  // Known from the header alone: no need to buffer the body first.
  EXPECT_EQ(parse_error(out.substr(0, 7), 4096, &message), Errc::protocol_error);
  EXPECT_EQ(parse_error(out, 5008, &message), std::error_code());
}

TEST(AmqpFrameParser, BadEndOctetUnknownTypeAndProtocolHeader) {
  std::string out;
  append_heartbeat(out);
  out.back() = 'x';
  std::string message;
  EXPECT_EQ(parse_error(out, 0, &message), Errc::protocol_error);
  EXPECT_NE(message.find("0xCE"), std::string::npos);

  EXPECT_EQ(parse_error(std::string("\x05\0\0\0\0\0\0\xce", 8), 0, &message), Errc::protocol_error);
  EXPECT_NE(message.find("unknown frame type 5"), std::string::npos);

  EXPECT_EQ(parse_error(std::string(kProtocolHeader), 0, &message), Errc::protocol_error);
  EXPECT_NE(message.find("protocol header"), std::string::npos);
}

TEST(AmqpFrameParser, FailureIsStickyUntilReset) {
  FrameParser parser;
  parser.feed(std::string("\x09", 1));
  std::error_code ec;
  EXPECT_FALSE(parser.next(ec));
  EXPECT_EQ(ec, Errc::protocol_error);
  std::string good;
  append_heartbeat(good);
  parser.feed(good);
  ec.clear();
  EXPECT_FALSE(parser.next(ec));
  EXPECT_EQ(ec, Errc::protocol_error);
  parser.reset();
  parser.feed(good);
  ec.clear();
  EXPECT_TRUE(parser.next(ec));
  EXPECT_FALSE(ec);
}

TEST(AmqpFrameParser, MessageNamesTheStreamOffset) {
  std::string out;
  append_heartbeat(out);
  append_heartbeat(out);
  out += std::string("\x07", 1);
  std::string message;
  EXPECT_EQ(parse_error(out, 0, &message), Errc::protocol_error);
  EXPECT_NE(message.find("offset 16"), std::string::npos) << message;
}

}  // namespace
}  // namespace fern::amqp
