// Delivery acknowledgements and Confirm's outcome, both answered by the channel they belong to.
#include "channel_core.hpp"
#include "fern/base/error.hpp"
#include "fern/clients/amqp/confirm.hpp"
#include "fern/clients/amqp/message.hpp"

namespace fern::amqp {
namespace {

detail::ChannelCore& channel_of(const std::shared_ptr<detail::ChannelCore>& channel) {
  if (!channel) throw_error(Errc::invalid_argument, "amqp: this delivery has no channel to acknowledge on");
  return *channel;
}

}  // namespace

void Delivery::ack(bool multiple) const { channel_of(channel_).send_ack(delivery_tag, multiple); }
void Delivery::nack(bool requeue, bool multiple) const {
  channel_of(channel_).send_nack(delivery_tag, multiple, requeue);
}
void Delivery::reject(bool requeue) const { channel_of(channel_).send_reject(delivery_tag, requeue); }

const char* to_string(ConfirmStatus status) noexcept {
  switch (status) {
    case ConfirmStatus::not_tracked: return "not_tracked";
    case ConfirmStatus::pending: return "pending";
    case ConfirmStatus::confirmed: return "confirmed";
    case ConfirmStatus::nacked: return "nacked";
    case ConfirmStatus::unknown: return "unknown";
    case ConfirmStatus::not_sent: return "not_sent";
  }
  return "?";
}

ConfirmStatus Confirm::status() const noexcept {
  return channel_ ? channel_->confirm_status(sequence_) : ConfirmStatus::not_tracked;
}

ConfirmStatus Confirm::wait(Duration timeout) const {
  return channel_ ? channel_->wait_confirm(sequence_, timeout) : ConfirmStatus::not_tracked;
}

}  // namespace fern::amqp
