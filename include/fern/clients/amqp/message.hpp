// Message, Delivery and ReturnedMessage: what a publish sends and what comes back from the broker.
// A Message is a body plus its BasicProperties. A Delivery is a message the broker handed to this
// client (from a consumer or basic.get) with its delivery tag, and acknowledges itself on the
// channel it came from. A ReturnedMessage is a mandatory publish the broker could not route.
//
// Blocking: ack(), nack() and reject() never park for a reply (AMQP has none); they queue one frame
// for the connection's writer and return. They throw std::system_error when the channel is closed
// (an ack on a closed channel cannot be delivered: the broker requeues that message itself).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "fern/clients/amqp/proto/basic_properties.hpp"

namespace fern::amqp {

using Properties = BasicProperties;

namespace detail {
class ChannelCore;
}

struct Message {
  std::string body;
  Properties properties;
};

class Delivery {
 public:
  Delivery() = default;

  std::string consumer_tag;  // empty for basic.get
  std::uint64_t delivery_tag = 0;
  bool redelivered = false;  // the broker delivered it before (to this or another consumer)
  std::string exchange;
  std::string routing_key;
  std::uint32_t message_count = 0;  // basic.get only: messages left in the queue
  Message message;

  const std::string& body() const noexcept { return message.body; }
  const Properties& properties() const noexcept { return message.properties; }

  // basic.ack of this delivery (with `multiple`, of every unacknowledged one up to it on the
  // channel).
  void ack(bool multiple = false) const;
  // basic.nack: the broker requeues it (requeue) or drops / dead-letters it.
  void nack(bool requeue = true, bool multiple = false) const;
  // basic.reject: as nack for this one delivery.
  void reject(bool requeue = true) const;

  // Internal: the channel the delivery arrived on.
  void bind_channel(std::shared_ptr<detail::ChannelCore> channel) noexcept { channel_ = std::move(channel); }

 private:
  std::shared_ptr<detail::ChannelCore> channel_;
};

struct ReturnedMessage {
  std::uint16_t reply_code = 0;  // 312 NO_ROUTE, 313 NO_CONSUMERS
  std::string reply_text;
  std::string exchange;
  std::string routing_key;
  Message message;
};

}  // namespace fern::amqp
