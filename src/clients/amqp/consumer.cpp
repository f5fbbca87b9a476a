// Consumer and its queue of deliveries (ConsumerQueue, fed by the connection's reader).
#include "fern/clients/amqp/consumer.hpp"

#include "channel_core.hpp"
#include "fern/base/error.hpp"

namespace fern::amqp {
namespace detail {

void ConsumerQueue::push(Delivery delivery) {
  deliveries_.push_back(std::move(delivery));
  waiters_.notify_one();
}

void ConsumerQueue::end(ConsumerEnd how, std::exception_ptr error) noexcept {
  if (end_ != ConsumerEnd::none) return;
  end_ = how;
  error_ = std::move(error);
  waiters_.notify_all();
}

std::optional<Delivery> ConsumerQueue::next(Duration timeout) {
  const TimePoint deadline = timeout == kForever ? TimePoint::max() : deadline_after(timeout);
  for (;;) {
    if (!deliveries_.empty()) {
      Delivery d = std::move(deliveries_.front());
      deliveries_.pop_front();
      // Another reader may be waiting and more deliveries are queued: pass the notification on.
      if (!deliveries_.empty()) waiters_.notify_one();
      return d;
    }
    if (end_ != ConsumerEnd::none) {
      if (end_ == ConsumerEnd::channel_closed && error_) std::rethrow_exception(error_);
      return std::nullopt;
    }
    if (!waiters_.wait(deadline)) return std::nullopt;
  }
}

void ConsumerQueue::cancel() {
  if (end_ != ConsumerEnd::none) return;
  std::shared_ptr<ChannelCore> channel = channel_.lock();
  if (!channel) {
    end(ConsumerEnd::cancelled, nullptr);
    return;
  }
  channel->rpc(methods::BasicCancel{tag_, false}, {methods::BasicCancelOk::kMethodId});
  channel->remove_consumer(tag_);
  end(ConsumerEnd::cancelled, nullptr);
}

}  // namespace detail

namespace {
detail::ConsumerQueue& queue_of(const std::shared_ptr<detail::ConsumerQueue>& q) {
  if (!q) throw_error(Errc::invalid_argument, "amqp: an empty Consumer");
  return *q;
}
}  // namespace

std::optional<Delivery> Consumer::next(Duration timeout) { return queue_of(queue_).next(timeout); }
void Consumer::cancel() { queue_of(queue_).cancel(); }
const std::string& Consumer::tag() const { return queue_of(queue_).tag(); }
ConsumerEnd Consumer::end() const noexcept { return queue_ ? queue_->end_state() : ConsumerEnd::none; }
std::size_t Consumer::buffered() const noexcept { return queue_ ? queue_->buffered() : 0; }

}  // namespace fern::amqp
