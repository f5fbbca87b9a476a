// The AMQP client against a real rabbitmq-server: handshake and negotiation, declares and binds,
// publish with every property, get, consume with prefetch and acks, confirms (confirmed and
// nacked), returns, transactions, dead-lettering, broker cancels, and channels used from several
// greenlets at once on one connection.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "amqp_test_support.hpp"
#include "fern/clients/amqp/connection.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"

namespace fern_amqp_test {
namespace {

using namespace std::chrono_literals;
using namespace fern::amqp;

Connection connect() { return Connection(options_for(shared_broker().port())); }

// The broker counts routed messages and acks asynchronously: polls (bounded) until `queue` holds
// `expected` messages and returns the last count seen.
std::uint32_t settled_count(Channel& ch, const std::string& queue, std::uint32_t expected) {
  std::uint32_t count = 0;
  for (int i = 0; i < 500; ++i) {
    count = ch.queue_declare(queue, {.passive = true}).message_count;
    if (count == expected) break;
    fern::sleep(10ms);
  }
  return count;
}

TEST(AmqpClient, HandshakeNegotiatesLimits) {
  Connection conn = connect();
  EXPECT_TRUE(conn.is_open());
  EXPECT_EQ(conn.frame_max(), 131072u);
  EXPECT_EQ(conn.channel_max(), 2047);
  EXPECT_EQ(conn.heartbeat(), 60s);
  const FieldValue* product = conn.server_properties().find("product");
  ASSERT_NE(product, nullptr);
  EXPECT_EQ(product->as<std::string>(), "RabbitMQ");
  conn.close();
  EXPECT_FALSE(conn.is_open());
  EXPECT_FALSE(conn.close_reason());

  Options small = options_for(shared_broker().port());
  small.frame_max = 8192;
  small.channel_max = 3;
  small.heartbeat = 0s;
  Connection limited(small);
  EXPECT_EQ(limited.frame_max(), 8192u);
  EXPECT_EQ(limited.channel_max(), 3);
  EXPECT_EQ(limited.heartbeat(), 0s);
  std::vector<Channel> channels;
  for (int i = 0; i < 3; ++i) channels.push_back(limited.channel());
  EXPECT_THROW(limited.channel(), std::system_error);
  // A body larger than frame_max goes out in several body frames and comes back whole.
  const std::string q = unique_name("big");
  channels[0].queue_declare(q, {.auto_delete = true});
  const std::string body(100000, 'x');
  channels[0].publish("", q, body);
  std::optional<Delivery> d;
  for (int i = 0; i < 200 && !d; ++i) {
    d = channels[0].get(q, true);
    if (!d) fern::sleep(10ms);
  }
  ASSERT_TRUE(d);
  EXPECT_EQ(d->body(), body);
}

TEST(AmqpClient, WrongPasswordIsAConnectionErrorWithTheReplyCode) {
  Options o = options_for(shared_broker().port());
  o.password = "wrong";
  try {
    Connection conn(o);
    FAIL() << "connected with a wrong password";
  } catch (const ConnectionError& e) {
    EXPECT_EQ(e.code(), ReplyCode::access_refused);
    EXPECT_EQ(e.reply_code(), 403);
    EXPECT_NE(e.reply_text().find("ACCESS_REFUSED"), std::string::npos) << e.what();
  }
  o.password = "guest";
  o.vhost = "/no-such-vhost";
  try {
    Connection conn(o);
    FAIL() << "opened a missing vhost";
  } catch (const ConnectionError& e) {
    EXPECT_EQ(e.reply_code(), 530) << e.what();
  }
}

TEST(AmqpClient, PublishEveryPropertyAndGet) {
  Connection conn = connect();
  Channel ch = conn.channel();
  const std::string q = unique_name("props");
  QueueInfo info = ch.queue_declare(q, {.durable = true, .arguments = {{"x-max-priority", 9}}});
  EXPECT_EQ(info.name, q);
  EXPECT_EQ(info.message_count, 0u);
  Properties p;
  p.content_type = "application/json";
  p.content_encoding = "identity";
  p.headers = FieldTable{{"trace", "t-1"}, {"n", 42}, {"nested", FieldTable{{"ok", true}}}};
  p.delivery_mode = 2;
  p.priority = 5;
  p.correlation_id = "corr";
  p.reply_to = "replies";
  p.expiration = "600000";
  p.message_id = "m-1";
  p.timestamp = 1700000000;
  p.type = "kind";
  p.user_id = "guest";
  p.app_id = "fern-test";
  ch.publish("", q, R"({"a":1})", p);
  std::optional<Delivery> d;
  for (int i = 0; i < 200 && !d; ++i) {
    d = ch.get(q);
    if (!d) fern::sleep(10ms);
  }
  ASSERT_TRUE(d);
  EXPECT_EQ(d->body(), R"({"a":1})");
  EXPECT_EQ(d->routing_key, q);
  EXPECT_EQ(d->message_count, 0u);
  EXPECT_FALSE(d->redelivered);
  // The broker keeps every property; only the header table's integer may come back widened.
  Properties back = d->properties();
  ASSERT_TRUE(back.headers);
  std::int64_t n = 0;
  EXPECT_TRUE(back.headers->find("n")->to_int64(n));
  EXPECT_EQ(n, 42);
  back.headers.reset();
  p.headers.reset();
  EXPECT_EQ(back, p);
  d->ack();
  EXPECT_FALSE(ch.get(q));
  ch.publish("", q, "one");
  ch.publish("", q, "two");
  EXPECT_EQ(settled_count(ch, q, 2), 2u);
  EXPECT_EQ(ch.queue_purge(q), 2u);
  EXPECT_EQ(ch.queue_delete(q), 0u);
}

TEST(AmqpClient, ConsumeWithPrefetchAckNackReject) {
  Connection conn = connect();
  Channel ch = conn.channel();
  const std::string q = unique_name("work");
  const std::string dlx = unique_name("dlx");
  const std::string dead = unique_name("dead");
  ch.exchange_declare(dlx, "fanout", {.auto_delete = true});
  ch.queue_declare(dead, {.exclusive = true});
  ch.queue_bind(dead, dlx);
  ch.queue_declare(q, {.exclusive = true, .arguments = {{"x-dead-letter-exchange", dlx}}});
  for (int i = 0; i < 10; ++i) ch.publish("", q, "m" + std::to_string(i));
  ch.qos(3);
  Consumer consumer = ch.consume(q);
  std::vector<Delivery> held;
  for (int i = 0; i < 3; ++i) {
    auto d = consumer.next(30s);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->body(), "m" + std::to_string(i));
    held.push_back(std::move(*d));
  }
  // Prefetch 3: nothing more arrives until something is acknowledged.
  EXPECT_FALSE(consumer.next(300ms));
  EXPECT_EQ(consumer.buffered(), 0u);
  std::set<std::string> acked;
  for (const Delivery& d : held) acked.insert(d.body());
  held[2].ack(true);  // multiple: acknowledges all three
  held.clear();
  auto d3 = consumer.next(30s);
  ASSERT_TRUE(d3);
  EXPECT_EQ(d3->body(), "m3");
  d3->nack(true);  // requeued: comes back redelivered
  std::optional<Delivery> again;
  for (int i = 0; i < 10 && !again; ++i) {
    auto d = consumer.next(30s);
    ASSERT_TRUE(d);
    if (d->body() == "m3") {
      again = std::move(d);
    } else {
      d->ack();
      EXPECT_TRUE(acked.insert(d->body()).second) << d->body();
    }
  }
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->redelivered);
  again->reject(false);  // dead-lettered
  while (auto d = consumer.next(500ms)) {
    d->ack();
    EXPECT_TRUE(acked.insert(d->body()).second) << d->body();
  }
  EXPECT_EQ(acked.size(), 9u);  // every message but m3, each acknowledged once
  EXPECT_EQ(acked.count("m3"), 0u);
  consumer.cancel();
  EXPECT_EQ(consumer.end(), ConsumerEnd::cancelled);
  EXPECT_FALSE(consumer.next(1ms));
  std::optional<Delivery> dl;
  for (int i = 0; i < 200 && !dl; ++i) {
    dl = ch.get(dead, true);
    if (!dl) fern::sleep(10ms);
  }
  ASSERT_TRUE(dl);
  EXPECT_EQ(dl->body(), "m3");
  EXPECT_EQ(settled_count(ch, q, 0), 0u);
}

TEST(AmqpClient, PipelinedConfirmsResolveEveryPublish) {
  Connection conn = connect();
  Channel ch = conn.channel();
  const std::string q = unique_name("confirm");
  ch.queue_declare(q, {.durable = true});
  ch.confirm_select();
  EXPECT_TRUE(ch.confirm_mode());
  std::vector<Confirm> confirms;
  const std::uint64_t sends_before = conn.stats().sends;
  for (int i = 0; i < 2000; ++i) confirms.push_back(ch.publish("", q, "payload", {.delivery_mode = 2}));
  EXPECT_EQ(confirms.front().sequence(), 1u);
  EXPECT_EQ(confirms.back().sequence(), 2000u);
  EXPECT_EQ(confirms.back().status(), ConfirmStatus::pending);  // nothing was sent yet: no round trip
  const ConfirmTally tally = ch.wait_for_confirms(60s);
  EXPECT_EQ(tally.confirmed, 2000u);
  EXPECT_TRUE(tally.all_confirmed());
  for (const Confirm& c : confirms) ASSERT_EQ(c.status(), ConfirmStatus::confirmed);
  // 2000 publishes queued in one turn went out in far fewer writes.
  EXPECT_LT(conn.stats().sends - sends_before, 200u);
  EXPECT_EQ(ch.unconfirmed(), 0u);
  EXPECT_EQ(ch.publish("", q, "one more").wait(60s), ConfirmStatus::confirmed);
  EXPECT_EQ(shared_broker().queue_messages(q), 2001);
  ch.queue_delete(q);
}

TEST(AmqpClient, NackedPublishesAreReportedPerMessage) {
  Connection conn = connect();
  Channel ch = conn.channel();
  const std::string q = unique_name("bounded");
  ch.queue_declare(q,
                   {.exclusive = true, .arguments = {{"x-max-length", 2}, {"x-overflow", "reject-publish"}}});
  ch.confirm_select();
  std::vector<Confirm> confirms;
  for (int i = 0; i < 5; ++i) confirms.push_back(ch.publish("", q, "m"));
  const ConfirmTally tally = ch.wait_for_confirms(60s);
  EXPECT_EQ(tally.confirmed, 2u);
  EXPECT_EQ(tally.nacked, 3u);
  EXPECT_FALSE(tally.all_confirmed());
  EXPECT_EQ(confirms[0].wait(), ConfirmStatus::confirmed);
  EXPECT_EQ(confirms[1].wait(), ConfirmStatus::confirmed);
  for (int i = 2; i < 5; ++i) EXPECT_EQ(confirms[i].wait(), ConfirmStatus::nacked) << i;
}

TEST(AmqpClient, UnroutableMandatoryMessagesReturnToTheHandler) {
  Connection conn = connect();
  Channel ch = conn.channel();
  std::vector<ReturnedMessage> returned;
  ch.on_return([&](ReturnedMessage m) { returned.push_back(std::move(m)); });
  ch.confirm_select();
  Properties p;
  p.message_id = "lost";
  Confirm c = ch.publish("", unique_name("nowhere"), "body", p, {.mandatory = true});
  EXPECT_EQ(c.wait(60s), ConfirmStatus::confirmed);  // the broker acks after the return
  ASSERT_EQ(returned.size(), 1u);
  EXPECT_EQ(returned[0].reply_code, 312);
  EXPECT_EQ(returned[0].reply_text, "NO_ROUTE");
  EXPECT_EQ(returned[0].message.body, "body");
  EXPECT_EQ(returned[0].message.properties.message_id, "lost");
  EXPECT_EQ(ch.returned(), 1u);
  ch.publish("", unique_name("nowhere"), "not mandatory").wait(60s);
  EXPECT_EQ(ch.returned(), 1u);
}

TEST(AmqpClient, ExchangesBindingsAndTransactions) {
  Connection conn = connect();
  Channel ch = conn.channel();
  const std::string logs = unique_name("logs");
  const std::string topic = unique_name("topic");
  ch.exchange_declare(logs, "fanout", {.auto_delete = true});
  ch.exchange_declare(topic, "topic");
  ch.exchange_bind(logs, topic, "kern.*");
  const QueueInfo a = ch.queue_declare("", {.exclusive = true});
  const QueueInfo b = ch.queue_declare("", {.exclusive = true});
  EXPECT_FALSE(a.name.empty());
  ch.queue_bind(a.name, logs);
  ch.queue_bind(b.name, topic, "*.critical");
  ch.tx_select();
  ch.publish(topic, "kern.critical", "both");
  ch.publish(topic, "user.critical", "b only");
  ch.publish(topic, "kern.info", "a only");
  ch.tx_rollback();
  EXPECT_EQ(settled_count(ch, a.name, 0), 0u);
  ch.publish(topic, "kern.critical", "both");
  ch.publish(topic, "user.critical", "b only");
  ch.publish(topic, "kern.info", "a only");
  ch.tx_commit();
  EXPECT_EQ(settled_count(ch, a.name, 2), 2u);
  EXPECT_EQ(settled_count(ch, b.name, 2), 2u);
  ch.queue_unbind(b.name, topic, "*.critical");
  ch.exchange_unbind(logs, topic, "kern.*");
  ch.publish(topic, "kern.critical", "none");
  ch.tx_commit();
  EXPECT_EQ(settled_count(ch, a.name, 2), 2u);
  EXPECT_EQ(settled_count(ch, b.name, 2), 2u);
  ch.exchange_delete(logs);
  ch.exchange_delete(topic);
}

TEST(AmqpClient, BrokerCancelEndsTheConsumer) {
  Connection conn = connect();
  Channel consuming = conn.channel();
  Channel admin = conn.channel();
  const std::string q = unique_name("cancelled");
  consuming.queue_declare(q);
  Consumer consumer = consuming.consume(q, {.no_ack = true});
  admin.publish("", q, "before");
  auto d = consumer.next(30s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->body(), "before");
  admin.queue_delete(q);
  EXPECT_FALSE(consumer.next(30s));
  EXPECT_EQ(consumer.end(), ConsumerEnd::cancelled_by_broker);
  EXPECT_TRUE(consuming.is_open());
  consuming.queue_declare(q, {.auto_delete = true});  // the channel goes on
}

TEST(AmqpClient, AConsumerEndsWhenItsChannelGoesAway) {
  Connection conn = connect();
  Consumer consumer;
  {
    Channel ch = conn.channel();
    const QueueInfo q = ch.queue_declare("", {.exclusive = true});
    consumer = ch.consume(q.name);
  }
  EXPECT_THROW(consumer.next(30s), std::system_error);
  EXPECT_EQ(consumer.end(), ConsumerEnd::channel_closed);
  Channel again = conn.channel();  // the connection goes on
  again.queue_declare("", {.exclusive = true});
}

TEST(AmqpClient, ChannelsFromManyGreenletsShareOneConnection) {
  Connection conn = connect();
  constexpr int kWorkers = 6;
  constexpr int kMessages = 200;
  const std::string q = unique_name("shared");
  {
    Channel ch = conn.channel();
    ch.queue_declare(q, {.auto_delete = false});
  }
  std::vector<fern::GreenletRef<>> workers;
  std::vector<std::uint64_t> confirmed(kWorkers, 0);
  for (int w = 0; w < kWorkers; ++w) {
    workers.push_back(fern::spawn([&, w] {
      Channel ch = conn.channel();
      ch.confirm_select();
      for (int i = 0; i < kMessages; ++i) {
        ch.publish("", q, std::to_string(w) + ":" + std::to_string(i));
        // RPCs interleave with other channels' publishes on the same connection.
        if (i % 50 == 0) ch.queue_declare(q, {.passive = true});
      }
      confirmed[w] = ch.wait_for_confirms(60s).confirmed;
    }));
  }
  fern::joinall(workers);
  for (int w = 0; w < kWorkers; ++w) EXPECT_EQ(confirmed[w], std::uint64_t{kMessages}) << w;
  Channel reader = conn.channel();
  Consumer consumer = reader.consume(q, {.no_ack = true});
  std::vector<int> next(kWorkers, 0);
  for (int i = 0; i < kWorkers * kMessages; ++i) {
    auto d = consumer.next(30s);
    ASSERT_TRUE(d) << i;
    const auto colon = d->body().find(':');
    const int w = std::stoi(d->body().substr(0, colon));
    // Each channel's messages arrive in the order it published them.
    EXPECT_EQ(std::stoi(d->body().substr(colon + 1)), next[w]++);
  }
  reader.queue_delete(q);
}

TEST(AmqpClient, HeartbeatsKeepAnIdleConnectionOpen) {
  Options o = options_for(shared_broker().port());
  o.heartbeat = 1s;
  Connection conn(o);
  EXPECT_EQ(conn.heartbeat(), 1s);
  fern::sleep(3500ms);
  EXPECT_TRUE(conn.is_open());
  EXPECT_GE(conn.stats().heartbeats_sent, 1u);
  EXPECT_GE(conn.stats().heartbeats_received, 1u);
  Channel ch = conn.channel();
  ch.queue_declare("", {.exclusive = true});
}

}  // namespace
}  // namespace fern_amqp_test
