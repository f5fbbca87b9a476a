// Content headers: all 14 basic properties round-trip, absent ones take no bytes, malformed
// headers are errors.
#include <gtest/gtest.h>

#include "fern/base/error.hpp"
#include "fern/clients/amqp/proto/basic_properties.hpp"

namespace fern::amqp {
namespace {

BasicProperties every_property() {
  BasicProperties p;
  p.content_type = "application/json";
  p.content_encoding = "gzip";
  p.headers = FieldTable{{"x-trace", "abc"}, {"n", 3}};
  p.delivery_mode = 2;
  p.priority = 7;
  p.correlation_id = "corr-1";
  p.reply_to = "amq.rabbitmq.reply-to";
  p.expiration = "60000";
  p.message_id = "m-1";
  p.timestamp = 1700000000;
  p.type = "order.created";
  p.user_id = "guest";
  p.app_id = "fern";
  p.cluster_id = "c";
  return p;
}

ContentHeader round_trip(const ContentHeader& h) {
  std::string bytes;
  encode_content_header(bytes, h);
  ContentHeader back;
  std::error_code ec;
  decode_content_header(bytes, back, ec);
  EXPECT_FALSE(ec);
  return back;
}

TEST(AmqpBasicProperties, EveryPropertyRoundTrips) {
  ContentHeader h;
  h.body_size = 123456789012ull;
  h.properties = every_property();
  EXPECT_EQ(round_trip(h), h);
  EXPECT_TRUE(h.properties.persistent());
}

TEST(AmqpBasicProperties, EachPropertyAloneRoundTrips) {
  const BasicProperties all = every_property();
  // One at a time, so a wrong flag bit cannot hide behind its neighbours.
  std::vector<BasicProperties> singles(14);
  singles[0].content_type = all.content_type;
  singles[1].content_encoding = all.content_encoding;
  singles[2].headers = all.headers;
  singles[3].delivery_mode = all.delivery_mode;
  singles[4].priority = all.priority;
  singles[5].correlation_id = all.correlation_id;
  singles[6].reply_to = all.reply_to;
  singles[7].expiration = all.expiration;
  singles[8].message_id = all.message_id;
  singles[9].timestamp = all.timestamp;
  singles[10].type = all.type;
  singles[11].user_id = all.user_id;
  singles[12].app_id = all.app_id;
  singles[13].cluster_id = all.cluster_id;
  for (std::size_t i = 0; i < singles.size(); ++i) {
    ContentHeader h;
    h.properties = singles[i];
    std::string bytes;
    encode_content_header(bytes, h);
    const unsigned flags =
        (static_cast<unsigned char>(bytes[12]) << 8) | static_cast<unsigned char>(bytes[13]);
    EXPECT_EQ(flags, 1u << (15 - i)) << i;
    EXPECT_EQ(round_trip(h), h) << i;
  }
}

TEST(AmqpBasicProperties, NoPropertiesIsFourteenBytes) {
  std::string bytes;
  encode_content_header(bytes, ContentHeader{60, 0, 5, {}});
  EXPECT_EQ(bytes, std::string("\0\x3c\0\0\0\0\0\0\0\0\0\x05\0\0", 14));
}

TEST(AmqpBasicProperties, MalformedHeadersAreErrors) {
  ContentHeader h;
  h.properties = every_property();
  std::string bytes;
  encode_content_header(bytes, h);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    ContentHeader back;
    std::error_code ec;
    decode_content_header(std::string_view(bytes.data(), n), back, ec);
    EXPECT_EQ(ec, Errc::protocol_error) << "prefix of " << n;
  }
  ContentHeader back;
  std::error_code ec;
  decode_content_header(bytes + "x", back, ec);
  EXPECT_EQ(ec, Errc::protocol_error) << "trailing byte";
  std::string continuation("\0\x3c\0\0\0\0\0\0\0\0\0\x00\0\x01", 14);
  ec.clear();
  decode_content_header(continuation, back, ec);
  EXPECT_EQ(ec, Errc::protocol_error) << "continuation flag";
}

}  // namespace
}  // namespace fern::amqp
