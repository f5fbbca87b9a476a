// TaskChannel and TaskConsumer: the AMQP client's task forms.
//
//   fern::amqp::TaskChannel ch(channel);
//   co_await ch.queue_declare("jobs");
//   co_await ch.publish("", "jobs", "payload");
//   fern::amqp::Consumer consumer = co_await ch.consume("jobs");
//   fern::amqp::TaskConsumer jobs(consumer);
//   while (auto d = co_await jobs.next()) { ...; co_await ch.ack(d->delivery_tag); }
//
// Views of a Channel or a Consumer (which must outlive them): tasks and greenlets share the
// channel, its confirms and its flow control. Each call runs on a carrier greenlet
// (fern/aio/bridge.hpp). A task cancelled in next() takes no delivery: one already taken by the
// carrier is returned to the task, as in_greenlet promises, and the cancellation comes at its next
// await.
#pragma once

#include "fern/aio/bridge.hpp"
#include "fern/clients/amqp/channel.hpp"
#include "fern/clients/amqp/consumer.hpp"

namespace fern::amqp {

class TaskChannel : public aio::Bridge<Channel> {
 public:
  using aio::Bridge<Channel>::Bridge;

  FERN_AIO_FORWARD(exchange_declare)
  FERN_AIO_FORWARD(exchange_delete)
  FERN_AIO_FORWARD(exchange_bind)
  FERN_AIO_FORWARD(exchange_unbind)
  FERN_AIO_FORWARD(queue_declare)
  FERN_AIO_FORWARD(queue_bind)
  FERN_AIO_FORWARD(queue_unbind)
  FERN_AIO_FORWARD(queue_purge)
  FERN_AIO_FORWARD(queue_delete)
  FERN_AIO_FORWARD(publish)
  FERN_AIO_FORWARD(confirm_select)
  FERN_AIO_FORWARD(wait_for_confirms)
  FERN_AIO_FORWARD(qos)
  FERN_AIO_FORWARD(consume)
  FERN_AIO_FORWARD(get)
  FERN_AIO_FORWARD(ack)
  FERN_AIO_FORWARD(nack)
  FERN_AIO_FORWARD(reject)
  FERN_AIO_FORWARD(recover)
  FERN_AIO_FORWARD(tx_select)
  FERN_AIO_FORWARD(tx_commit)
  FERN_AIO_FORWARD(tx_rollback)
  FERN_AIO_FORWARD(close)
};

class TaskConsumer : public aio::Bridge<Consumer> {
 public:
  using aio::Bridge<Consumer>::Bridge;

  FERN_AIO_FORWARD(next)
  FERN_AIO_FORWARD(cancel)
};

}  // namespace fern::amqp
