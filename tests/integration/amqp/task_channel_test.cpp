// TaskChannel and TaskConsumer against a real rabbitmq-server: declare, publish with confirms,
// consume and ack from an aio task, while a greenlet publishes on the same channel; a task
// cancelled while waiting in next() leaves the consumer usable and loses no delivery.
#include "fern/clients/amqp/task_channel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "amqp_test_support.hpp"
#include "fern/aio/spawn.hpp"
#include "fern/aio/task.hpp"
#include "fern/aio/timeout.hpp"
#include "fern/clients/amqp/connection.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/timeout.hpp"

namespace fern_amqp_test {
namespace {

using namespace std::chrono_literals;
using namespace fern::amqp;
namespace aio = fern::aio;

aio::Task<std::vector<std::string>> publish_and_consume(TaskChannel ch, std::string q) {
  QueueOptions exclusive;  // built before the await: it owns a FieldTable (docs/design/aio.md)
  exclusive.exclusive = true;
  co_await ch.queue_declare(q, exclusive);
  co_await ch.confirm_select();
  for (int i = 0; i < 5; ++i) co_await ch.publish("", q, "t" + std::to_string(i));
  ConfirmTally tally = co_await ch.wait_for_confirms(30s);
  EXPECT_GE(tally.confirmed, 5u);  // the greenlet's publishes may be counted too
  Consumer consumer = co_await ch.consume(q);
  TaskConsumer deliveries(consumer);
  std::vector<std::string> bodies;
  while (bodies.size() < 10) {
    auto d = co_await deliveries.next(30s);
    if (!d) break;
    bodies.push_back(d->body());
    co_await ch.ack(d->delivery_tag);
  }
  co_await deliveries.cancel();
  co_return bodies;
}

// A greenlet publishes five more on the same channel while the task consumes.
TEST(AmqpTaskChannel, PublishConsumeAndAckFromATask) {
  Connection conn(options_for(shared_broker().port()));
  Channel ch = conn.channel();
  const std::string q = unique_name("tasks");
  auto task = aio::spawn(publish_and_consume(TaskChannel(ch), q));
  auto publisher = fern::spawn([&ch, &q] {
    while (ch.confirm_mode() == false) fern::sleep(1ms);
    for (int i = 5; i < 10; ++i) ch.publish("", q, "t" + std::to_string(i));
  });
  std::vector<std::string> bodies = task.get();
  publisher->join();
  ASSERT_EQ(bodies.size(), 10u);
  for (int i = 0; i < 10; ++i)
    EXPECT_NE(std::find(bodies.begin(), bodies.end(), "t" + std::to_string(i)), bodies.end());
}

aio::Task<std::string> cancelled_wait_then_receive(TaskChannel ch, TaskConsumer deliveries, std::string q) {
  try {
    auto scope = co_await aio::timeout(30ms);
    co_await deliveries.next();  // nothing queued yet: the scope ends the wait
    co_return "unexpected delivery";
  } catch (const fern::TimeoutError&) {
  }
  co_await ch.publish("", q, "after");
  auto d = co_await deliveries.next(30s);
  co_return d ? d->body() : "nothing";
}

TEST(AmqpTaskChannel, ACancelledNextLeavesTheConsumerUsable) {
  Connection conn(options_for(shared_broker().port()));
  Channel ch = conn.channel();
  const std::string q = unique_name("tasks-cancel");
  ch.queue_declare(q, {.exclusive = true});
  ConsumeOptions no_ack;
  no_ack.no_ack = true;
  Consumer consumer = ch.consume(q, no_ack);
  EXPECT_EQ(aio::run(cancelled_wait_then_receive(TaskChannel(ch), TaskConsumer(consumer), q)), "after");
}

}  // namespace
}  // namespace fern_amqp_test
