// Channel: each call is one method (or one RPC) on its ChannelCore.
#include "fern/clients/amqp/channel.hpp"

#include "channel_core.hpp"
#include "fern/base/error.hpp"

namespace fern::amqp {
namespace {

detail::ChannelCore& core_of(const std::shared_ptr<detail::ChannelCore>& core) {
  if (!core) throw_error(Errc::invalid_argument, "amqp: an empty Channel");
  return *core;
}

template <class Reply>
Reply expect(Method m) {
  return std::get<Reply>(std::move(m));
}

}  // namespace

Channel& Channel::operator=(Channel&& other) noexcept {
  if (this != &other) {
    if (core_) core_->close(false);
    core_ = std::move(other.core_);
  }
  return *this;
}

Channel::~Channel() {
  if (core_) core_->close(false);
}

std::uint16_t Channel::id() const noexcept { return core_ ? core_->id() : 0; }
bool Channel::is_open() const noexcept { return core_ && core_->is_open(); }
std::optional<CloseReason> Channel::close_reason() const {
  return core_ ? core_->close_reason() : std::nullopt;
}

// --- exchanges

void Channel::exchange_declare(std::string_view name, std::string_view type, const ExchangeOptions& o) {
  methods::ExchangeDeclare m;
  m.exchange = name;
  m.type = type;
  m.passive = o.passive;
  m.durable = o.durable;
  m.auto_delete = o.auto_delete;
  m.internal = o.internal;
  m.arguments = o.arguments;
  core_of(core_).rpc(m, {methods::ExchangeDeclareOk::kMethodId});
}

void Channel::exchange_delete(std::string_view name, bool if_unused) {
  methods::ExchangeDelete m;
  m.exchange = name;
  m.if_unused = if_unused;
  core_of(core_).rpc(m, {methods::ExchangeDeleteOk::kMethodId});
}

void Channel::exchange_bind(std::string_view destination, std::string_view source,
                            std::string_view routing_key, const FieldTable& arguments) {
  methods::ExchangeBind m;
  m.destination = destination;
  m.source = source;
  m.routing_key = routing_key;
  m.arguments = arguments;
  core_of(core_).rpc(m, {methods::ExchangeBindOk::kMethodId});
}

void Channel::exchange_unbind(std::string_view destination, std::string_view source,
                              std::string_view routing_key, const FieldTable& arguments) {
  methods::ExchangeUnbind m;
  m.destination = destination;
  m.source = source;
  m.routing_key = routing_key;
  m.arguments = arguments;
  core_of(core_).rpc(m, {methods::ExchangeUnbindOk::kMethodId});
}

// --- queues

QueueInfo Channel::queue_declare(std::string_view name, const QueueOptions& o) {
  methods::QueueDeclare m;
  m.queue = name;
  m.passive = o.passive;
  m.durable = o.durable;
  m.exclusive = o.exclusive;
  m.auto_delete = o.auto_delete;
  m.arguments = o.arguments;
  auto ok = expect<methods::QueueDeclareOk>(core_of(core_).rpc(m, {methods::QueueDeclareOk::kMethodId}));
  return QueueInfo{std::move(ok.queue), ok.message_count, ok.consumer_count};
}

void Channel::queue_bind(std::string_view queue, std::string_view exchange, std::string_view routing_key,
                         const FieldTable& arguments) {
  methods::QueueBind m;
  m.queue = queue;
  m.exchange = exchange;
  m.routing_key = routing_key;
  m.arguments = arguments;
  core_of(core_).rpc(m, {methods::QueueBindOk::kMethodId});
}

void Channel::queue_unbind(std::string_view queue, std::string_view exchange, std::string_view routing_key,
                           const FieldTable& arguments) {
  methods::QueueUnbind m;
  m.queue = queue;
  m.exchange = exchange;
  m.routing_key = routing_key;
  m.arguments = arguments;
  core_of(core_).rpc(m, {methods::QueueUnbindOk::kMethodId});
}

std::uint32_t Channel::queue_purge(std::string_view queue) {
  methods::QueuePurge m;
  m.queue = queue;
  return expect<methods::QueuePurgeOk>(core_of(core_).rpc(m, {methods::QueuePurgeOk::kMethodId}))
      .message_count;
}

std::uint32_t Channel::queue_delete(std::string_view queue, const QueueDeleteOptions& o) {
  methods::QueueDelete m;
  m.queue = queue;
  m.if_unused = o.if_unused;
  m.if_empty = o.if_empty;
  return expect<methods::QueueDeleteOk>(core_of(core_).rpc(m, {methods::QueueDeleteOk::kMethodId}))
      .message_count;
}

// --- publishing and confirms

Confirm Channel::publish(std::string_view exchange, std::string_view routing_key, std::string_view body,
                         const Properties& properties, const PublishOptions& options) {
  return core_of(core_).publish(exchange, routing_key, body, properties, options.mandatory);
}

void Channel::on_return(std::function<void(ReturnedMessage)> handler) {
  core_of(core_).set_return_handler(std::move(handler));
}
std::uint64_t Channel::returned() const noexcept { return core_ ? core_->returned() : 0; }

void Channel::confirm_select() {
  detail::ChannelCore& core = core_of(core_);
  if (core.confirm_mode()) return;
  core.rpc(methods::ConfirmSelect{}, {methods::ConfirmSelectOk::kMethodId});
  core.enable_confirms();
}
bool Channel::confirm_mode() const noexcept { return core_ && core_->confirm_mode(); }
ConfirmTally Channel::wait_for_confirms(Duration timeout) {
  return core_of(core_).wait_for_confirms(timeout);
}
std::uint64_t Channel::unconfirmed() const noexcept { return core_ ? core_->unconfirmed() : 0; }

// --- consuming

void Channel::qos(std::uint16_t prefetch_count, std::uint32_t prefetch_size, bool global) {
  core_of(core_).rpc(methods::BasicQos{prefetch_size, prefetch_count, global},
                     {methods::BasicQosOk::kMethodId});
}

Consumer Channel::consume(std::string_view queue, const ConsumeOptions& o) {
  methods::BasicConsume m;
  m.queue = queue;
  m.consumer_tag = o.consumer_tag;
  m.no_local = o.no_local;
  m.no_ack = o.no_ack;
  m.exclusive = o.exclusive;
  m.arguments = o.arguments;
  return Consumer(core_of(core_).consume(m));
}

std::optional<Delivery> Channel::get(std::string_view queue, bool no_ack) {
  methods::BasicGet m;
  m.queue = queue;
  m.no_ack = no_ack;
  return core_of(core_).get(m);
}

void Channel::ack(std::uint64_t delivery_tag, bool multiple) {
  core_of(core_).send_ack(delivery_tag, multiple);
}
void Channel::nack(std::uint64_t delivery_tag, bool multiple, bool requeue) {
  core_of(core_).send_nack(delivery_tag, multiple, requeue);
}
void Channel::reject(std::uint64_t delivery_tag, bool requeue) {
  core_of(core_).send_reject(delivery_tag, requeue);
}

void Channel::recover(bool requeue) {
  core_of(core_).rpc(methods::BasicRecover{requeue}, {methods::BasicRecoverOk::kMethodId});
}

// --- transactions

void Channel::tx_select() { core_of(core_).rpc(methods::TxSelect{}, {methods::TxSelectOk::kMethodId}); }
void Channel::tx_commit() { core_of(core_).rpc(methods::TxCommit{}, {methods::TxCommitOk::kMethodId}); }
void Channel::tx_rollback() { core_of(core_).rpc(methods::TxRollback{}, {methods::TxRollbackOk::kMethodId}); }

void Channel::close() {
  if (core_) core_->close(true);
}

}  // namespace fern::amqp
