// Consumer: a subscription (basic.consume) on one channel, read as a stream of deliveries in the
// greenlet that calls next(). The broker pushes deliveries up to the channel's prefetch (qos);
// they wait in the consumer's own queue until next() takes them.
//
// The stream ends (next() returns nullopt) when:
//   - cancel() was called here (basic.cancel, deliveries already received are still returned
//     first),
//   - the broker cancelled the consumer (its queue was deleted, or the node failed over):
//     end() then says ConsumerEnd::cancelled_by_broker,
//   - the channel or connection closed: next() then throws the ChannelError / ConnectionError /
//     std::system_error that closed it, after the deliveries already received. Unacknowledged
//     deliveries are requeued by the broker, which marks them redelivered.
//
// Blocking: next() parks until a delivery arrives, the stream ends, or the timeout passes (then it
// returns nullopt and end() stays ConsumerEnd::none: the stream goes on).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "fern/base/clock.hpp"
#include "fern/clients/amqp/message.hpp"

namespace fern::amqp {

namespace detail {
class ConsumerQueue;
}

enum class ConsumerEnd : std::uint8_t {
  none,                 // still consuming
  cancelled,            // cancel() here
  cancelled_by_broker,  // basic.cancel from the broker
  channel_closed,       // the channel or the connection ended (next() throws the reason)
};

class Consumer {
 public:
  Consumer() = default;
  explicit Consumer(std::shared_ptr<detail::ConsumerQueue> queue) noexcept : queue_(std::move(queue)) {}
  Consumer(Consumer&&) noexcept = default;
  Consumer& operator=(Consumer&&) noexcept = default;
  // Does not cancel: the subscription lives as long as its channel unless cancel() is called.
  ~Consumer() = default;

  // The next delivery; nullopt at the end of the stream or after `timeout`.
  std::optional<Delivery> next(Duration timeout = kForever);
  // basic.cancel, waiting for cancel-ok. Deliveries that arrived before it stay readable.
  void cancel();

  const std::string& tag() const;
  ConsumerEnd end() const noexcept;
  // Deliveries received and not yet taken by next().
  std::size_t buffered() const noexcept;

 private:
  std::shared_ptr<detail::ConsumerQueue> queue_;
};

}  // namespace fern::amqp
