// The exchange and queue classes with populated arguments (flags, tables) round-trip.
#include <gtest/gtest.h>

#include "amqp_method_round_trip.hpp"
#include "fern/clients/amqp/proto/methods.hpp"
#include "fern/clients/amqp/proto/queue_methods.hpp"

namespace fern::amqp {
namespace {

TEST(AmqpQueueMethods, PopulatedRoundTrips) {
  methods::ExchangeDeclare ed;
  ed.exchange = "logs";
  ed.type = "fanout";
  ed.durable = true;
  ed.internal = true;
  ed.arguments = FieldTable{{"alternate-exchange", "ae"}};
  EXPECT_EQ(round_trip(ed), ed);
  methods::ExchangeDelete del;
  del.exchange = "logs";
  del.if_unused = true;
  EXPECT_EQ(round_trip(del), del);
  methods::ExchangeBind eb;
  eb.destination = "d";
  eb.source = "s";
  eb.routing_key = "k.#";
  eb.no_wait = true;
  EXPECT_EQ(round_trip(eb), eb);
  methods::ExchangeUnbind eu;
  eu.destination = "d";
  eu.arguments = FieldTable{{"x-match", "all"}};
  EXPECT_EQ(round_trip(eu), eu);
  // Every combination of queue.declare's five flags.
  for (int bits = 0; bits < 32; ++bits) {
    methods::QueueDeclare q;
    q.queue = "task_queue";
    q.passive = bits & 1;
    q.durable = bits & 2;
    q.exclusive = bits & 4;
    q.auto_delete = bits & 8;
    q.no_wait = bits & 16;
    q.arguments = FieldTable{{"x-message-ttl", 60000}, {"x-dead-letter-exchange", "dlx"}};
    EXPECT_EQ(round_trip(q), q) << bits;
  }
  methods::QueueDeclareOk ok{"amq.gen-abc", 5, 2};
  EXPECT_EQ(round_trip(ok), ok);
  methods::QueueBind qb;
  qb.queue = "q";
  qb.exchange = "x";
  qb.routing_key = "black";
  EXPECT_EQ(round_trip(qb), qb);
  methods::QueueUnbind qu;
  qu.queue = "q";
  qu.exchange = "x";
  EXPECT_EQ(round_trip(qu), qu);
  methods::QueuePurge qp;
  qp.queue = "q";
  EXPECT_EQ(round_trip(qp), qp);
  EXPECT_EQ(round_trip(methods::QueuePurgeOk{77}).message_count, 77u);
  methods::QueueDelete qd;
  qd.queue = "q";
  qd.if_empty = true;
  EXPECT_EQ(round_trip(qd), qd);
  EXPECT_EQ(round_trip(methods::QueueDeleteOk{9}).message_count, 9u);
}

}  // namespace
}  // namespace fern::amqp
