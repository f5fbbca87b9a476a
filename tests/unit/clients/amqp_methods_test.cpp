// Method encoding: every method of every class round-trips through encode_method/decode_method,
// names and ids are right, and truncated, trailing or unknown methods are errors.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "fern/base/error.hpp"
#include "fern/clients/amqp/proto/methods.hpp"

namespace fern::amqp {
namespace {

Method round_trip(const Method& m) {
  std::string bytes;
  encode_method(bytes, m);
  Method back;
  std::error_code ec;
  EXPECT_TRUE(decode_method(bytes, back, ec)) << method_name(m);
  EXPECT_FALSE(ec);
  return back;
}

template <std::size_t... I>
std::vector<Method> every_method(std::index_sequence<I...>) {
  return {Method(std::in_place_index<I>)...};
}
std::vector<Method> every_method() {
  return every_method(std::make_index_sequence<std::variant_size_v<Method>>{});
}

TEST(AmqpMethods, EveryMethodRoundTrips) {
  const std::vector<Method> all = every_method();
  EXPECT_EQ(all.size(), 64u);
  std::set<std::uint32_t> keys;
  for (const Method& m : all) {
    EXPECT_EQ(round_trip(m), m) << method_name(m);
    EXPECT_TRUE(keys.insert(method_key(class_id_of(m), method_id_of(m))).second) << method_name(m);
    EXPECT_STREQ(method_name(class_id_of(m), method_id_of(m)), method_name(m));
  }
}

TEST(AmqpMethods, EveryTruncationIsAnError) {
  for (const Method& m : every_method()) {
    std::string bytes;
    encode_method(bytes, m);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      Method back;
      std::error_code ec;
      EXPECT_FALSE(decode_method(std::string_view(bytes.data(), n), back, ec)) << method_name(m) << " " << n;
      EXPECT_EQ(ec, Errc::protocol_error);
    }
    Method back;
    std::error_code ec;
    EXPECT_FALSE(decode_method(bytes + "!", back, ec)) << method_name(m) << " with a trailing byte";
  }
}

TEST(AmqpMethods, UnknownMethodIsAnError) {
  const std::string bytes("\0\x0a\0\x63", 4);  // connection.99
  Method back;
  std::error_code ec;
  EXPECT_FALSE(decode_method(bytes, back, ec));
  EXPECT_EQ(ec, Errc::protocol_error);
  EXPECT_STREQ(method_name(10, 99), "unknown");
}

TEST(AmqpMethods, BitsPackIntoOctetsLowestFirst) {
  methods::QueueDeclare q;
  q.queue = "q";
  q.durable = true;
  q.auto_delete = true;
  std::string bytes;
  encode_method(bytes, q);
  // ids, ticket, "q", one octet of bits (passive=1 durable=2 exclusive=4 auto_delete=8 no_wait=16),
  // an empty table.
  EXPECT_EQ(bytes, std::string("\0\x32\0\x0a\0\0\x01q\x0a\0\0\0\0", 13));
}

TEST(AmqpMethods, NamesOfIds) {
  EXPECT_STREQ(method_name(60, 40), "basic.publish");
  EXPECT_STREQ(method_name(40, 51), "exchange.unbind-ok");
  EXPECT_STREQ(method_name(85, 10), "confirm.select");
  EXPECT_STREQ(method_name(90, 31), "tx.rollback-ok");
}

}  // namespace
}  // namespace fern::amqp
