// The connection and channel classes with populated arguments round-trip; the handshake methods
// have the bytes a broker expects.
#include <gtest/gtest.h>

#include "amqp_method_round_trip.hpp"
#include "fern/clients/amqp/proto/connection_methods.hpp"
#include "fern/clients/amqp/proto/methods.hpp"

namespace fern::amqp {
namespace {

TEST(AmqpConnectionMethods, PopulatedRoundTrips) {
  methods::ConnectionStart start;
  start.server_properties =
      FieldTable{{"product", "RabbitMQ"}, {"capabilities", FieldTable{{"publisher_confirms", true}}}};
  start.mechanisms = "PLAIN AMQPLAIN";
  EXPECT_EQ(round_trip(start), start);
  methods::ConnectionStartOk ok;
  ok.client_properties = FieldTable{{"product", "fern"}};
  ok.response = std::string("\0guest\0guest", 12);
  EXPECT_EQ(round_trip(ok), ok);
  EXPECT_EQ(round_trip(methods::ConnectionTune{2047, 131072, 60}),
            (methods::ConnectionTune{2047, 131072, 60}));
  EXPECT_EQ(round_trip(methods::ConnectionTuneOk{1, 4096, 5}), (methods::ConnectionTuneOk{1, 4096, 5}));
  methods::ConnectionOpen open;
  open.virtual_host = "/vh";
  open.reserved_2 = true;
  EXPECT_EQ(round_trip(open), open);
  methods::ConnectionClose close{320, "CONNECTION_FORCED - broker forced connection closure", 0, 0};
  EXPECT_EQ(round_trip(close), close);
  EXPECT_EQ(round_trip(methods::ConnectionBlocked{"low on memory"}).reason, "low on memory");
  methods::ConnectionUpdateSecret secret{"token", "refresh"};
  EXPECT_EQ(round_trip(secret), secret);
  EXPECT_EQ(round_trip(methods::ChannelFlow{false}).active, false);
  EXPECT_EQ(round_trip(methods::ChannelFlowOk{true}).active, true);
  methods::ChannelClose cclose{406, "PRECONDITION_FAILED - inequivalent arg 'durable'", 50, 10};
  EXPECT_EQ(round_trip(cclose), cclose);
  EXPECT_EQ(round_trip(methods::ChannelOpenOk{"id"}).reserved_1, "id");
}

TEST(AmqpConnectionMethods, TuneOkBytes) {
  std::string bytes;
  encode_method(bytes, methods::ConnectionTuneOk{2047, 131072, 60});
  EXPECT_EQ(bytes, std::string("\0\x0a\0\x1f\x07\xff\0\x02\0\0\0\x3c", 12));
}

}  // namespace
}  // namespace fern::amqp
