// Channel: one AMQP channel multiplexed on a Connection, with the pika-like sequential API:
// declare, bind, publish, consume, get, acknowledge, confirms, transactions. Each channel is meant
// for one greenlet at a time, but any greenlet may use it: synchronous methods (declare, bind,
// qos, ...) take the channel's RPC slot in turn (AMQP allows one outstanding per channel), and
// many channels on one connection run their RPCs concurrently.
//
// Blocking:
//   - synchronous methods park the caller until the broker's reply (Options::rpc_timeout, or a
//     fern::Timeout scope, bounds the wait; a timed-out RPC leaves the channel unusable, since its
//     late reply could not be told from the next one's: it is closed with Errc::timed_out);
//   - publish() does not wait for the broker: it queues the method, header and body frames in one
//     piece on the connection's output (never interleaved with another message's frames) and
//     returns. It parks only while the broker has blocked the connection (connection.blocked: low
//     memory or disk) or the output buffer is over Options::max_pending_output;
//   - ack/nack/reject never park.
// Errors: a broker channel.close throws ChannelError (reply code and text) from the call that
// caused it and from every later call on this channel; the connection and other channels go on.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "fern/base/clock.hpp"
#include "fern/clients/amqp/confirm.hpp"
#include "fern/clients/amqp/consumer.hpp"
#include "fern/clients/amqp/error.hpp"
#include "fern/clients/amqp/message.hpp"
#include "fern/clients/amqp/proto/field_table.hpp"

namespace fern::amqp {

namespace detail {
class ChannelCore;
}

struct ExchangeOptions {
  bool passive = false;  // only check that it exists (404 closes the channel otherwise)
  bool durable = false;
  bool auto_delete = false;
  bool internal = false;
  FieldTable arguments{};  // alternate-exchange, ...
};

struct QueueOptions {
  bool passive = false;
  bool durable = false;
  bool exclusive = false;
  bool auto_delete = false;
  FieldTable arguments{};  // x-message-ttl, x-dead-letter-exchange, x-max-priority, x-queue-type, ...
};

// What queue.declare-ok says.
struct QueueInfo {
  std::string name{};  // the broker's name for a queue declared with an empty name
  std::uint32_t message_count = 0;
  std::uint32_t consumer_count = 0;
};

struct QueueDeleteOptions {
  bool if_unused = false;
  bool if_empty = false;
};

struct PublishOptions {
  bool mandatory = false;  // unroutable messages come back to the return handler
};

struct ConsumeOptions {
  std::string consumer_tag{};  // empty: the broker picks one
  bool no_ack = false;         // auto-acknowledge on delivery
  bool exclusive = false;
  bool no_local = false;
  FieldTable arguments{};  // x-priority, ...
};

class Channel {
 public:
  Channel() = default;
  explicit Channel(std::shared_ptr<detail::ChannelCore> core) noexcept : core_(std::move(core)) {}
  Channel(Channel&&) noexcept = default;
  Channel& operator=(Channel&&) noexcept;
  // Closes the channel (channel.close without waiting for close-ok) if still open.
  ~Channel();

  std::uint16_t id() const noexcept;
  bool is_open() const noexcept;
  // Why the channel closed (the broker's reply code and text), when the broker closed it.
  std::optional<CloseReason> close_reason() const;

  // --- exchanges
  void exchange_declare(std::string_view name, std::string_view type, const ExchangeOptions& options = {});
  void exchange_delete(std::string_view name, bool if_unused = false);
  void exchange_bind(std::string_view destination, std::string_view source, std::string_view routing_key,
                     const FieldTable& arguments = {});
  void exchange_unbind(std::string_view destination, std::string_view source, std::string_view routing_key,
                       const FieldTable& arguments = {});

  // --- queues
  // An empty name asks the broker to name the queue (QueueInfo::name).
  QueueInfo queue_declare(std::string_view name, const QueueOptions& options = {});
  void queue_bind(std::string_view queue, std::string_view exchange, std::string_view routing_key = {},
                  const FieldTable& arguments = {});
  void queue_unbind(std::string_view queue, std::string_view exchange, std::string_view routing_key = {},
                    const FieldTable& arguments = {});
  // Returns the number of messages purged / deleted with the queue.
  std::uint32_t queue_purge(std::string_view queue);
  std::uint32_t queue_delete(std::string_view queue, const QueueDeleteOptions& options = {});

  // --- publishing
  // Queues the message for sending. In confirm mode the returned Confirm resolves when the broker
  // acknowledges it; otherwise it is not_tracked.
  Confirm publish(std::string_view exchange, std::string_view routing_key, std::string_view body,
                  const Properties& properties = {}, const PublishOptions& options = {});
  // Called in the connection's reader greenlet for each mandatory message the broker returns;
  // must not block. Unset: returns are dropped (and counted in returned()).
  void on_return(std::function<void(ReturnedMessage)> handler);
  std::uint64_t returned() const noexcept;

  // --- publisher confirms
  // confirm.select; from here on each publish gets a sequence number and a Confirm.
  void confirm_select();
  bool confirm_mode() const noexcept;
  // Parks until every publish made so far on this channel has an outcome; counts them since the
  // previous call. The outcome of each one is also on its Confirm.
  ConfirmTally wait_for_confirms(Duration timeout = kForever);
  // Publishes not yet confirmed, nacked or lost.
  std::uint64_t unconfirmed() const noexcept;

  // --- consuming
  // basic.qos: at most `prefetch_count` unacknowledged deliveries to this channel's consumers
  // (0: no limit), or per connection when `global`.
  void qos(std::uint16_t prefetch_count, std::uint32_t prefetch_size = 0, bool global = false);
  Consumer consume(std::string_view queue, const ConsumeOptions& options = {});
  // basic.get: one message, or nullopt when the queue is empty.
  std::optional<Delivery> get(std::string_view queue, bool no_ack = false);
  void ack(std::uint64_t delivery_tag, bool multiple = false);
  void nack(std::uint64_t delivery_tag, bool multiple = false, bool requeue = true);
  void reject(std::uint64_t delivery_tag, bool requeue = true);
  // basic.recover: redeliver every unacknowledged delivery of this channel.
  void recover(bool requeue = true);

  // --- transactions
  void tx_select();
  void tx_commit();
  void tx_rollback();

  // channel.close (reply code 200) and waits for close-ok; pending confirms become unknown,
  // consumers end. Idempotent.
  void close();

  detail::ChannelCore* core() const noexcept { return core_.get(); }

 private:
  std::shared_ptr<detail::ChannelCore> core_;
};

}  // namespace fern::amqp
