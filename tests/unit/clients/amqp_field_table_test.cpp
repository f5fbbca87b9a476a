// Field tables and arrays: every value type round-trips, RabbitMQ's tags are used on the wire,
// and malformed tables are errors.
#include <gtest/gtest.h>

#include <string>

#include "fern/base/error.hpp"
#include "fern/clients/amqp/proto/field_table.hpp"

namespace fern::amqp {
namespace {

FieldTable every_type() {
  FieldArray array{{FieldValue(1), FieldValue("two"), FieldValue(), FieldValue(FieldTable{{"k", true}})}};
  return FieldTable{
      {"void", FieldValue()},
      {"bool", true},
      {"i8", std::int8_t{-5}},
      {"u8", std::uint8_t{250}},
      {"i16", std::int16_t{-30000}},
      {"u16", std::uint16_t{60000}},
      {"i32", std::int32_t{-2000000000}},
      {"u32", std::uint32_t{4000000000u}},
      {"i64", std::int64_t{-9000000000000000000}},
      {"f", 1.5f},
      {"d", -2.25},
      {"dec", Decimal{2, 12345}},
      {"str", "hello"},
      {"bytes", ByteArray{std::string("\0\1\2", 3)}},
      {"ts", Timestamp{1700000000}},
      {"array", array},
      {"table", FieldTable{{"nested", FieldTable{{"deeper", "x"}}}}},
  };
}

FieldTable decode(std::string_view bytes) {
  FieldTable t;
  std::error_code ec;
  decode_field_table(bytes, t, ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_TRUE(bytes.empty());
  return t;
}

TEST(AmqpFieldTable, EveryTypeRoundTrips) {
  const FieldTable t = every_type();
  std::string bytes;
  encode_field_table(bytes, t);
  EXPECT_EQ(decode(bytes), t);
}

TEST(AmqpFieldTable, TagsAreRabbitMqs) {
  std::string tags;
  const FieldTable table = every_type();
  for (const auto& [name, value] : table.entries()) tags.push_back(value.tag());
  EXPECT_EQ(tags, "VtbBsuIilfdDSxTAF");
}

TEST(AmqpFieldTable, ShortIsASignedInteger) {
  // RabbitMQ reads 's' as a 16-bit signed integer, not the spec's short string.
  const std::string bytes("\0\0\0\x04\x01k\x73\xff\xfe", 9);
  std::string_view in = bytes;
  FieldTable t;
  std::error_code ec;
  // Length says 4 but the entry needs 5 bytes: truncated.
  decode_field_table(in, t, ec);
  EXPECT_EQ(ec, Errc::protocol_error);
  const std::string good("\0\0\0\x05\x01k\x73\xff\xfe", 9);
  const FieldTable ok = decode(good);
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok.find("k")->as<std::int16_t>(), -2);
}

TEST(AmqpFieldTable, ExactBytesOfASmallTable) {
  std::string bytes;
  encode_field_table(bytes, FieldTable{{"a", 1}, {"b", "xy"}});
  EXPECT_EQ(bytes, std::string("\0\0\0\x10\x01"
                               "a"
                               "I\0\0\0\x01\x01"
                               "b"
                               "S\0\0\0\x02xy",
                               20));
}

TEST(AmqpFieldTable, FindSetAndIntegers) {
  FieldTable t{{"x-message-ttl", 60000}};
  t.set("x-message-ttl", std::int64_t{5});
  t.set("x-dead-letter-exchange", "dlx");
  ASSERT_EQ(t.size(), 2u);
  std::int64_t v = 0;
  EXPECT_TRUE(t.find("x-message-ttl")->to_int64(v));
  EXPECT_EQ(v, 5);
  EXPECT_FALSE(t.find("x-dead-letter-exchange")->to_int64(v));
  EXPECT_EQ(t.find("nope"), nullptr);
}

TEST(AmqpFieldTable, ArrayRoundTrips) {
  FieldArray a{{FieldValue(std::int64_t{1}), FieldValue(FieldArray{{FieldValue("x")}})}};
  std::string bytes;
  encode_field_array(bytes, a);
  std::string_view in = bytes;
  FieldArray back;
  std::error_code ec;
  decode_field_array(in, back, ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(back, a);
}

TEST(AmqpFieldTable, MalformedInputsAreErrors) {
  std::string valid;
  encode_field_table(valid, every_type());
  // Every truncation of a valid table is an error, never a read past the end.
  for (std::size_t n = 0; n < valid.size(); ++n) {
    std::string_view in(valid.data(), n);
    FieldTable t;
    std::error_code ec;
    decode_field_table(in, t, ec);
    EXPECT_EQ(ec, Errc::protocol_error) << "prefix of " << n;
  }
  const std::string unknown_tag("\0\0\0\x04\x01k\x51\x00", 8);
  std::string_view in = unknown_tag;
  FieldTable t;
  std::error_code ec;
  decode_field_table(in, t, ec);
  EXPECT_EQ(ec, Errc::protocol_error);
}

TEST(AmqpFieldTable, NestingIsBounded) {
  FieldTable t{{"leaf", 1}};
  for (int i = 0; i < kMaxFieldNesting + 2; ++i) t = FieldTable{{"n", t}};
  std::string bytes;
  encode_field_table(bytes, t);
  std::string_view in = bytes;
  FieldTable back;
  std::error_code ec;
  decode_field_table(in, back, ec);
  EXPECT_EQ(ec, Errc::protocol_error);
}

TEST(AmqpFieldTable, LongNamesAreRefused) {
  std::string out;
  EXPECT_THROW(encode_field_table(out, FieldTable{{std::string(256, 'n'), 1}}), std::system_error);
}

}  // namespace
}  // namespace fern::amqp
