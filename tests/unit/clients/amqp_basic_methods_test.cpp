// The basic, confirm and tx classes with populated arguments round-trip; deliver and ack have the
// bytes RabbitMQ sends.
#include <gtest/gtest.h>

#include "amqp_method_round_trip.hpp"
#include "fern/clients/amqp/proto/basic_methods.hpp"
#include "fern/clients/amqp/proto/methods.hpp"

namespace fern::amqp {
namespace {

TEST(AmqpBasicMethods, PopulatedRoundTrips) {
  EXPECT_EQ(round_trip(methods::BasicQos{0, 100, true}), (methods::BasicQos{0, 100, true}));
  methods::BasicConsume c;
  c.queue = "hello";
  c.consumer_tag = "ctag";
  c.no_ack = true;
  c.exclusive = true;
  c.arguments = FieldTable{{"x-priority", 5}};
  EXPECT_EQ(round_trip(c), c);
  EXPECT_EQ(round_trip(methods::BasicConsumeOk{"amq.ctag-1"}).consumer_tag, "amq.ctag-1");
  EXPECT_EQ(round_trip(methods::BasicCancel{"t", true}), (methods::BasicCancel{"t", true}));
  methods::BasicPublish p;
  p.exchange = "x";
  p.routing_key = "k";
  p.mandatory = true;
  p.immediate = true;
  EXPECT_EQ(round_trip(p), p);
  methods::BasicReturn r{312, "NO_ROUTE", "x", "k"};
  EXPECT_EQ(round_trip(r), r);
  methods::BasicDeliver d{"ctag", 1ull << 40, true, "x", "k"};
  EXPECT_EQ(round_trip(d), d);
  methods::BasicGet g;
  g.queue = "q";
  g.no_ack = true;
  EXPECT_EQ(round_trip(g), g);
  methods::BasicGetOk go{5, false, "", "q", 3};
  EXPECT_EQ(round_trip(go), go);
  EXPECT_EQ(round_trip(methods::BasicNack{7, true, false}), (methods::BasicNack{7, true, false}));
  EXPECT_EQ(round_trip(methods::BasicReject{7, false}), (methods::BasicReject{7, false}));
  EXPECT_EQ(round_trip(methods::BasicRecover{true}).requeue, true);
  EXPECT_EQ(round_trip(methods::BasicRecoverAsync{true}).requeue, true);
  EXPECT_EQ(round_trip(methods::ConfirmSelect{true}).no_wait, true);
}

TEST(AmqpBasicMethods, DeliverBytes) {
  std::string bytes;
  encode_method(bytes, methods::BasicDeliver{"c", 2, true, "", "q"});
  EXPECT_EQ(bytes, std::string("\0\x3c\0\x3c\x01"
                               "c"
                               "\0\0\0\0\0\0\0\x02\x01\0\x01q",
                               18));
}

}  // namespace
}  // namespace fern::amqp
