// A channel's state machine: its RPC slot, content assembly (method, header, body frames), and
// the dispatch of deliveries, returns, confirms and the broker's cancels and closes.
#include "channel_core.hpp"

#include <algorithm>

#include "fern/base/error.hpp"
#include "fern/clients/amqp/proto/frame_writer.hpp"

namespace fern::amqp::detail {
namespace {

// Settled sequence numbers are kept as ranges: a lost connection settles long runs at once.
void add_to(std::vector<std::pair<std::uint64_t, std::uint64_t>>& ranges, std::uint64_t seq) {
  if (!ranges.empty() && ranges.back().second + 1 == seq) {
    ranges.back().second = seq;
  } else {
    ranges.emplace_back(seq, seq);
  }
}

bool contains(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& ranges,
              std::uint64_t seq) noexcept {
  for (const auto& [first, last] : ranges)
    if (seq >= first && seq <= last) return true;
  return false;
}

std::exception_ptr fern_error(Errc code, const std::string& what) {
  return std::make_exception_ptr(std::system_error(make_error_code(code), what));
}

// A body larger than this is not reserved up front (a lying header cannot claim memory).
constexpr std::uint64_t kMaxReserve = 16 * 1024 * 1024;

}  // namespace

ChannelCore::ChannelCore(std::shared_ptr<ConnectionCore> connection, std::uint16_t id)
    : connection_(std::move(connection)), id_(id) {}

ChannelCore::~ChannelCore() {
  // Consumers outlive their channel only as handles: their streams end here.
  if (!error_) {
    for (auto& [tag, consumer] : consumers_)
      consumer->end(ConsumerEnd::channel_closed,
                    fern_error(Errc::closed, connection_->describe() + ": channel " + std::to_string(id_) +
                                                 " was closed (its last handle went away)"));
  }
  if (error_ || !connection_->is_open()) return;
  if (closing_) {
    connection_->forget_channel(id_, this);  // channel.close is out; the id is freed at close-ok
    return;
  }
  // The handle and everything referring to the channel are gone: close it without waiting; the
  // connection frees the id at close-ok.
  try {
    append_method_frame(connection_->output(), id_, methods::ChannelClose{200, "Normal shutdown", 0, 0});
    connection_->flush_soon();
  } catch (...) {
  }
  connection_->forget_channel(id_, this);
}

void ChannelCore::throw_if_closed() const {
  if (error_) std::rethrow_exception(error_);
}

// --- RPC

void ChannelCore::take_rpc_turn() {
  throw_if_closed();
  while (rpc_busy_ && !error_) rpc_turns_.wait();
  throw_if_closed();
  rpc_busy_ = true;
}

void ChannelCore::end_rpc_turn() noexcept {
  rpc_ = nullptr;
  rpc_busy_ = false;
  rpc_turns_.notify_one();
}

Method ChannelCore::call(const Method& request, Rpc& rpc) {
  take_rpc_turn();
  struct Turn {
    ChannelCore* channel;
    ~Turn() { channel->end_rpc_turn(); }
  } turn{this};
  Waiter waiter;
  rpc.waiter = &waiter;
  rpc.class_id = class_id_of(request);
  append_method_frame(connection_->output(), id_, request);
  connection_->flush_soon();
  rpc_ = &rpc;
  const Duration timeout = connection_->options().rpc_timeout;
  const TimePoint deadline = timeout == kForever ? TimePoint::max() : deadline_after(timeout);
  try {
    while (!rpc.reply && !error_) {
      if (!waiter.park(deadline)) {
        abandon(fern_error(Errc::timed_out, connection_->describe() + ": no reply to " +
                                                method_name(request) + " on channel " + std::to_string(id_) +
                                                " within the RPC timeout; the channel is closed"));
      }
    }
  } catch (...) {
    // Killed or a Timeout scope fired: the late reply could not be told from the next RPC's.
    if (!rpc.reply && !error_)
      abandon(fern_error(Errc::cancelled, connection_->describe() + ": " + method_name(request) +
                                              " on channel " + std::to_string(id_) +
                                              " was interrupted; the channel is closed"));
    throw;
  }
  if (!rpc.reply) std::rethrow_exception(error_);
  return std::move(*rpc.reply);
}

Method ChannelCore::rpc(const Method& request, std::initializer_list<std::uint16_t> reply_ids) {
  Rpc rpc;
  for (std::uint16_t id : reply_ids)
    if (rpc.reply_count < 2) rpc.reply_ids[rpc.reply_count++] = id;
  return call(request, rpc);
}

std::optional<Delivery> ChannelCore::get(const methods::BasicGet& request) {
  Rpc rpc;
  rpc.reply_ids[0] = methods::BasicGetOk::kMethodId;
  rpc.reply_ids[1] = methods::BasicGetEmpty::kMethodId;
  rpc.reply_count = 2;
  Method reply = call(request, rpc);
  if (std::holds_alternative<methods::BasicGetEmpty>(reply)) return std::nullopt;
  return std::move(rpc.delivery);
}

std::shared_ptr<ConsumerQueue> ChannelCore::consume(const methods::BasicConsume& request) {
  Rpc rpc;
  rpc.reply_ids[0] = methods::BasicConsumeOk::kMethodId;
  rpc.reply_count = 1;
  rpc.consume = true;
  call(request, rpc);
  return std::move(rpc.consumer);
}

void ChannelCore::abandon(std::exception_ptr error) noexcept {
  if (error_) return;
  if (connection_->is_open()) {
    try {
      append_method_frame(connection_->output(), id_, methods::ChannelClose{200, "Normal shutdown", 0, 0});
      connection_->flush_soon();
    } catch (...) {
    }
    connection_->forget_channel(id_, this);
  }
  fail(std::move(error), false);
}

// --- publishing and acknowledging

Confirm ChannelCore::publish(std::string_view exchange, std::string_view routing_key, std::string_view body,
                             const Properties& properties, bool mandatory) {
  throw_if_closed();
  connection_->wait_publishable();
  throw_if_closed();
  const std::uint64_t start = connection_->output_position();
  append_publish(connection_->output(), id_, exchange, routing_key, mandatory, properties, body,
                 connection_->tuning().frame_max);
  connection_->flush_soon();
  if (!confirm_mode_) return Confirm{};
  const std::uint64_t seq = next_seq_++;
  states_.push_back(ConfirmStatus::pending);
  starts_.push_back(start);
  return Confirm(shared_from_this(), seq);
}

void ChannelCore::send_ack(std::uint64_t tag, bool multiple) {
  throw_if_closed();
  append_ack(connection_->output(), id_, tag, multiple);
  connection_->flush_soon();
}

void ChannelCore::send_nack(std::uint64_t tag, bool multiple, bool requeue) {
  throw_if_closed();
  append_nack(connection_->output(), id_, tag, multiple, requeue);
  connection_->flush_soon();
}

void ChannelCore::send_reject(std::uint64_t tag, bool requeue) {
  throw_if_closed();
  append_reject(connection_->output(), id_, tag, requeue);
  connection_->flush_soon();
}

// --- frames in

void ChannelCore::protocol_violation(const std::string& what) {
  connection_->fail(fern_error(Errc::protocol_error,
                               connection_->describe() + ": channel " + std::to_string(id_) + ": " + what));
}

void ChannelCore::on_frame(const Frame& frame) {
  std::error_code ec;
  switch (frame.type) {
    case FrameType::method: {
      Method m;
      if (!decode_method(frame.payload, m, ec)) return protocol_violation("a malformed method frame");
      if (std::holds_alternative<methods::BasicDeliver>(m) ||
          std::holds_alternative<methods::BasicGetOk>(m) || std::holds_alternative<methods::BasicReturn>(m)) {
        if (incoming_) return protocol_violation("a method arrived in the middle of a message's content");
        incoming_.emplace(Incoming{std::move(m), {}, {}, false});
        return;
      }
      if (incoming_) return protocol_violation("a method arrived in the middle of a message's content");
      on_method(std::move(m));
      return;
    }
    case FrameType::header: {
      if (!incoming_ || incoming_->have_header) return protocol_violation("an unexpected content header");
      decode_content_header(frame.payload, incoming_->header, ec);
      if (ec) return protocol_violation("a malformed content header");
      incoming_->have_header = true;
      incoming_->body.reserve(std::min(incoming_->header.body_size, kMaxReserve));
      if (incoming_->header.body_size == 0) on_content_complete();
      return;
    }
    case FrameType::body: {
      if (!incoming_ || !incoming_->have_header) return protocol_violation("an unexpected body frame");
      incoming_->body.append(frame.payload);
      if (incoming_->body.size() > incoming_->header.body_size)
        return protocol_violation("a message body longer than its header said");
      if (incoming_->body.size() == incoming_->header.body_size) on_content_complete();
      return;
    }
    case FrameType::heartbeat: return;
  }
}

void ChannelCore::on_content_complete() {
  Incoming in = std::move(*incoming_);
  incoming_.reset();
  Message message{std::move(in.body), std::move(in.header.properties)};
  if (auto* d = std::get_if<methods::BasicDeliver>(&in.method)) {
    auto it = consumers_.find(d->consumer_tag);
    if (it == consumers_.end()) return;  // cancelled here already: the broker requeues it
    Delivery delivery;
    delivery.consumer_tag = std::move(d->consumer_tag);
    delivery.delivery_tag = d->delivery_tag;
    delivery.redelivered = d->redelivered;
    delivery.exchange = std::move(d->exchange);
    delivery.routing_key = std::move(d->routing_key);
    delivery.message = std::move(message);
    delivery.bind_channel(shared_from_this());
    it->second->push(std::move(delivery));
  } else if (auto* g = std::get_if<methods::BasicGetOk>(&in.method)) {
    if (!rpc_ || !reply_expected(in.method))
      return protocol_violation("basic.get-ok with no basic.get waiting");
    Delivery delivery;
    delivery.delivery_tag = g->delivery_tag;
    delivery.redelivered = g->redelivered;
    delivery.exchange = std::move(g->exchange);
    delivery.routing_key = std::move(g->routing_key);
    delivery.message_count = g->message_count;
    delivery.message = std::move(message);
    delivery.bind_channel(shared_from_this());
    rpc_->delivery = std::move(delivery);
    rpc_->reply = std::move(in.method);
    rpc_->waiter->wake();
  } else if (auto* r = std::get_if<methods::BasicReturn>(&in.method)) {
    ++returned_;
    if (!on_return_) return;
    ReturnedMessage returned{r->reply_code, std::move(r->reply_text), std::move(r->exchange),
                             std::move(r->routing_key), std::move(message)};
    try {
      on_return_(std::move(returned));
    } catch (...) {
      // A return handler must not throw; its failure is not the reader's concern.
    }
  }
}

bool ChannelCore::reply_expected(const Method& m) const noexcept {
  if (!rpc_ || class_id_of(m) != rpc_->class_id) return false;
  const std::uint16_t id = method_id_of(m);
  return std::find(rpc_->reply_ids, rpc_->reply_ids + rpc_->reply_count, id) !=
         rpc_->reply_ids + rpc_->reply_count;
}

void ChannelCore::on_method(Method m) {
  if (auto* ack = std::get_if<methods::BasicAck>(&m))
    return resolve(ack->delivery_tag, ack->multiple, ConfirmStatus::confirmed);
  if (auto* nack = std::get_if<methods::BasicNack>(&m))
    return resolve(nack->delivery_tag, nack->multiple, ConfirmStatus::nacked);
  if (auto* close = std::get_if<methods::ChannelClose>(&m)) return on_broker_close(*close);
  if (auto* cancel = std::get_if<methods::BasicCancel>(&m)) {
    auto it = consumers_.find(cancel->consumer_tag);
    if (it != consumers_.end()) {
      it->second->end(ConsumerEnd::cancelled_by_broker, nullptr);
      consumers_.erase(it);
    }
    if (!cancel->no_wait) {
      append_method_frame(connection_->output(), id_, methods::BasicCancelOk{cancel->consumer_tag});
      connection_->flush_soon();
    }
    return;
  }
  if (std::holds_alternative<methods::ChannelCloseOk>(m) && closing_) {
    connection_->release_channel_id(id_);
    fail(fern_error(Errc::closed,
                    connection_->describe() + ": channel " + std::to_string(id_) + " was closed"),
         false);
    return;
  }
  if (auto* flow = std::get_if<methods::ChannelFlow>(&m)) {
    append_method_frame(connection_->output(), id_, methods::ChannelFlowOk{flow->active});
    connection_->flush_soon();
    return;
  }
  if (!reply_expected(m)) return protocol_violation(std::string("unexpected ") + method_name(m));
  if (auto* ok = std::get_if<methods::BasicConsumeOk>(&m); ok && rpc_->consume) {
    rpc_->consumer = std::make_shared<ConsumerQueue>(weak_from_this(), ok->consumer_tag);
    consumers_.emplace(ok->consumer_tag, rpc_->consumer);
  }
  rpc_->reply = std::move(m);
  rpc_->waiter->wake();
}

void ChannelCore::on_broker_close(const methods::ChannelClose& close) {
  CloseReason reason{close.reply_code, close.reply_text, close.class_id, close.method_id};
  close_reason_ = reason;
  append_method_frame(connection_->output(), id_, methods::ChannelCloseOk{});
  connection_->flush_soon();
  connection_->release_channel_id(id_);
  std::string what = connection_->describe() + ": the broker closed channel " + std::to_string(id_) + ": " +
                     std::to_string(close.reply_code) + " " + close.reply_text;
  if (close.class_id != 0) what += " (in " + std::string(method_name(close.class_id, close.method_id)) + ")";
  fail(std::make_exception_ptr(ChannelError(reason, what)), false);
}

void ChannelCore::close(bool wait) {
  if (error_) return;
  if (!connection_->is_open()) return;
  closing_ = true;
  append_method_frame(connection_->output(), id_, methods::ChannelClose{200, "Normal shutdown", 0, 0});
  connection_->flush_soon();
  if (!wait) return;
  Waiter waiter;
  closer_ = &waiter;
  const Duration timeout = connection_->options().rpc_timeout;
  const TimePoint deadline = timeout == kForever ? TimePoint::max() : deadline_after(timeout);
  try {
    while (!error_ && waiter.park(deadline)) {
    }
  } catch (...) {
    closer_ = nullptr;
    abandon(fern_error(Errc::cancelled, connection_->describe() + ": channel close interrupted"));
    throw;
  }
  closer_ = nullptr;
  if (!error_)
    abandon(fern_error(Errc::closed,
                       connection_->describe() + ": channel " + std::to_string(id_) + " was closed"));
}

void ChannelCore::fail(std::exception_ptr error, bool by_connection) noexcept {
  if (error_) return;
  error_ = std::move(error);
  incoming_.reset();
  if (rpc_) rpc_->waiter->wake();
  rpc_turns_.notify_all();
  // Publishes still unconfirmed may or may not have been enqueued, unless the connection died with
  // all their frames still in its buffer. A channel closed on its own keeps the connection, which
  // would still send those frames, so there they are unknown too.
  for (std::size_t i = 0; i < states_.size(); ++i) {
    if (states_[i] != ConfirmStatus::pending) continue;
    if (by_connection && !connection_->sent_past(starts_[i])) {
      states_[i] = ConfirmStatus::not_sent;
      ++tally_.not_sent;
    } else {
      states_[i] = ConfirmStatus::unknown;
      ++tally_.unknown;
    }
  }
  settle_front();
  confirm_waiters_.notify_all();
  auto consumers = std::move(consumers_);
  consumers_.clear();
  for (auto& [tag, consumer] : consumers) consumer->end(ConsumerEnd::channel_closed, error_);
  if (closer_) closer_->wake();
}

// --- confirms

void ChannelCore::enable_confirms() noexcept {
  if (confirm_mode_) return;
  confirm_mode_ = true;
  base_seq_ = next_seq_ = 1;
}

void ChannelCore::resolve(std::uint64_t tag, bool multiple, ConfirmStatus status) {
  if (!confirm_mode_ || tag >= next_seq_)
    return protocol_violation("a confirm for a message never published");
  if (tag < base_seq_) return;
  const std::uint64_t first = multiple ? base_seq_ : tag;
  for (std::uint64_t seq = first; seq <= tag; ++seq) {
    ConfirmStatus& s = states_[seq - base_seq_];
    if (s != ConfirmStatus::pending) continue;
    s = status;
    if (status == ConfirmStatus::confirmed) {
      ++tally_.confirmed;
    } else {
      ++tally_.nacked;
    }
  }
  settle_front();
  confirm_waiters_.notify_all();
}

void ChannelCore::settle_front() noexcept {
  while (!states_.empty() && states_.front() != ConfirmStatus::pending) {
    if (states_.front() == ConfirmStatus::nacked) nacked_.insert(base_seq_);
    if (states_.front() == ConfirmStatus::unknown) add_to(unknown_, base_seq_);
    if (states_.front() == ConfirmStatus::not_sent) add_to(not_sent_, base_seq_);
    states_.pop_front();
    starts_.pop_front();
    ++base_seq_;
  }
}

ConfirmStatus ChannelCore::confirm_status(std::uint64_t seq) const noexcept {
  if (!confirm_mode_ || seq == 0 || seq >= next_seq_) return ConfirmStatus::not_tracked;
  if (seq >= base_seq_) return states_[seq - base_seq_];
  if (nacked_.count(seq)) return ConfirmStatus::nacked;
  if (contains(unknown_, seq)) return ConfirmStatus::unknown;
  if (contains(not_sent_, seq)) return ConfirmStatus::not_sent;
  return ConfirmStatus::confirmed;
}

ConfirmStatus ChannelCore::wait_confirm(std::uint64_t seq, Duration timeout) {
  const TimePoint deadline = timeout == kForever ? TimePoint::max() : deadline_after(timeout);
  ConfirmStatus s;
  while ((s = confirm_status(seq)) == ConfirmStatus::pending) {
    if (!confirm_waiters_.wait(deadline))
      throw_error(Errc::timed_out, "amqp: no confirm within the timeout (the outcome is still pending)");
  }
  return s;
}

ConfirmTally ChannelCore::wait_for_confirms(Duration timeout) {
  const TimePoint deadline = timeout == kForever ? TimePoint::max() : deadline_after(timeout);
  while (base_seq_ < next_seq_) {
    if (!confirm_waiters_.wait(deadline))
      throw_error(Errc::timed_out, "amqp: publishes still unconfirmed after the timeout");
  }
  ConfirmTally tally = tally_;
  tally_ = {};
  return tally;
}

// --- consumers

void ChannelCore::add_consumer(const std::shared_ptr<ConsumerQueue>& consumer) {
  consumers_.emplace(consumer->tag(), consumer);
}

void ChannelCore::remove_consumer(const std::string& tag) noexcept {
  auto it = consumers_.find(tag);
  if (it != consumers_.end()) consumers_.erase(it);
}

}  // namespace fern::amqp::detail
