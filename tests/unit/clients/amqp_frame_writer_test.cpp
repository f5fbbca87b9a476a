// Frame writing: the direct hot-path forms (publish, ack, nack, reject) produce exactly the bytes
// of the general Method encoding, and content is split at frame_max.
#include <gtest/gtest.h>

#include "fern/base/error.hpp"
#include "fern/clients/amqp/proto/frame_writer.hpp"

namespace fern::amqp {
namespace {

TEST(AmqpFrameWriter, DirectFormsMatchTheMethodEncoding) {
  std::string direct, general;
  append_ack(direct, 3, 99, true);
  append_method_frame(general, 3, methods::BasicAck{99, true});
  append_nack(direct, 3, 100, false, true);
  append_method_frame(general, 3, methods::BasicNack{100, false, true});
  append_reject(direct, 3, 101, false);
  append_method_frame(general, 3, methods::BasicReject{101, false});
  EXPECT_EQ(direct, general);

  std::string publish;
  BasicProperties props;
  props.delivery_mode = 2;
  append_publish(publish, 5, "logs", "info", true, props, "hello", 131072);
  std::string expected;
  methods::BasicPublish m;
  m.exchange = "logs";
  m.routing_key = "info";
  m.mandatory = true;
  append_method_frame(expected, 5, m);
  std::string header;
  encode_content_header(header, ContentHeader{60, 0, 5, props});
  append_frame(expected, FrameType::header, 5, header);
  append_frame(expected, FrameType::body, 5, "hello");
  EXPECT_EQ(publish, expected);
}

TEST(AmqpFrameWriter, EmptyBodyHasNoBodyFrame) {
  std::string out;
  append_content(out, 1, BasicProperties{}, "", 4096);
  FrameParser parser;
  parser.feed(out);
  std::error_code ec;
  int frames = 0;
  while (parser.next(ec)) ++frames;
  EXPECT_EQ(frames, 1);
}

TEST(AmqpFrameWriter, BodyFramesFitFrameMax) {
  std::string out;
  const std::string body(4088 * 2 + 1, 'z');
  append_content(out, 1, BasicProperties{}, body, 4096);
  FrameParser parser(4096);
  parser.feed(out);
  std::error_code ec;
  std::string joined;
  int bodies = 0;
  while (auto f = parser.next(ec)) {
    if (f->type != FrameType::body) continue;
    ++bodies;
    joined += f->payload;
  }
  EXPECT_FALSE(ec);
  EXPECT_EQ(bodies, 3);
  EXPECT_EQ(joined, body);
}

TEST(AmqpFrameWriter, AFailedPublishLeavesNothing) {
  std::string out = "before";
  EXPECT_THROW(append_publish(out, 1, std::string(300, 'e'), "rk", false, {}, "b", 4096), std::system_error);
  EXPECT_EQ(out, "before");
}

}  // namespace
}  // namespace fern::amqp
