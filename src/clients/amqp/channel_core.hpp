// ChannelCore: the state of one amqp::Channel, shared by the Channel handle, its deliveries (to
// acknowledge), consumers and confirms, and fed frames by the connection's reader. See
// fern/clients/amqp/channel.hpp for the behaviour.
#pragma once

#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "connection_core.hpp"
#include "fern/clients/amqp/channel.hpp"
#include "fern/clients/amqp/confirm.hpp"
#include "fern/clients/amqp/proto/basic_properties.hpp"
#include "fern/clients/amqp/proto/methods.hpp"
#include "fern/hub/wait_queue.hpp"
#include "fern/hub/waiter.hpp"

namespace fern::amqp::detail {

class ConsumerQueue;

class ChannelCore : public std::enable_shared_from_this<ChannelCore> {
 public:
  ChannelCore(std::shared_ptr<ConnectionCore> connection, std::uint16_t id);
  ~ChannelCore();
  ChannelCore(const ChannelCore&) = delete;
  ChannelCore& operator=(const ChannelCore&) = delete;

  // Sends `request` and parks until a reply with one of `reply_ids` (method ids of the request's
  // class) arrives; returns it. One RPC at a time per channel: others wait their turn.
  Method rpc(const Method& request, std::initializer_list<std::uint16_t> reply_ids);
  // basic.get: the RPC whose reply may carry content.
  std::optional<Delivery> get(const methods::BasicGet& request);
  // basic.consume: the consumer is registered when consume-ok arrives, before any delivery.
  std::shared_ptr<ConsumerQueue> consume(const methods::BasicConsume& request);

  Confirm publish(std::string_view exchange, std::string_view routing_key, std::string_view body,
                  const Properties& properties, bool mandatory);
  void send_ack(std::uint64_t tag, bool multiple);
  void send_nack(std::uint64_t tag, bool multiple, bool requeue);
  void send_reject(std::uint64_t tag, bool requeue);

  // --- confirms
  void enable_confirms() noexcept;
  bool confirm_mode() const noexcept { return confirm_mode_; }
  ConfirmStatus confirm_status(std::uint64_t seq) const noexcept;
  ConfirmStatus wait_confirm(std::uint64_t seq, Duration timeout);
  ConfirmTally wait_for_confirms(Duration timeout);
  std::uint64_t unconfirmed() const noexcept { return next_seq_ - base_seq_; }

  // --- consumers
  void add_consumer(const std::shared_ptr<ConsumerQueue>& consumer);
  void remove_consumer(const std::string& tag) noexcept;

  void set_return_handler(std::function<void(ReturnedMessage)> handler) { on_return_ = std::move(handler); }
  std::uint64_t returned() const noexcept { return returned_; }

  // Called by the reader for each frame on this channel; never parks.
  void on_frame(const Frame& frame);
  // The channel ends with `error` (its own close, the broker's channel.close, the connection's
  // failure): every waiter wakes with it, pending confirms become unknown (or not_sent, when the
  // connection failed before any of their frames left its output buffer), consumers end.
  void fail(std::exception_ptr error, bool by_connection) noexcept;
  // channel.close from us; waits for close-ok when `wait`.
  void close(bool wait);

  std::uint16_t id() const noexcept { return id_; }
  bool is_open() const noexcept { return !error_; }
  std::optional<CloseReason> close_reason() const { return close_reason_; }
  void throw_if_closed() const;
  ConnectionCore& connection() noexcept { return *connection_; }

 private:
  struct Rpc {
    Waiter* waiter = nullptr;
    std::uint16_t reply_ids[2] = {0, 0};  // method ids of the request's class that answer it
    std::size_t reply_count = 0;
    std::uint16_t class_id = 0;
    std::optional<Method> reply;
    std::optional<Delivery> delivery;  // basic.get-ok's message
    bool consume = false;
    std::shared_ptr<ConsumerQueue> consumer;  // registered at consume-ok
  };
  // A method whose content (header + body frames) is still arriving.
  struct Incoming {
    Method method;
    ContentHeader header;
    std::string body;
    bool have_header = false;
  };

  Method call(const Method& request, Rpc& rpc);
  void take_rpc_turn();
  void end_rpc_turn() noexcept;
  void on_method(Method method);
  void on_content_complete();
  void on_broker_close(const methods::ChannelClose& close);
  void resolve(std::uint64_t tag, bool multiple, ConfirmStatus status);
  void settle_front() noexcept;
  bool reply_expected(const Method& m) const noexcept;
  void protocol_violation(const std::string& what);
  void abandon(std::exception_ptr error) noexcept;

  std::shared_ptr<ConnectionCore> connection_;
  std::uint16_t id_;

  Rpc* rpc_ = nullptr;  // the RPC waiting for its reply
  bool rpc_busy_ = false;
  WaitQueue rpc_turns_;
  std::optional<Incoming> incoming_;

  std::map<std::string, std::shared_ptr<ConsumerQueue>, std::less<>> consumers_;
  std::function<void(ReturnedMessage)> on_return_;
  std::uint64_t returned_ = 0;

  // Confirms: sequence numbers [base_seq_, next_seq_) are pending or settled out of order
  // (states_ holds them); below base_seq_ everything is settled: confirmed unless listed in
  // nacked_ or unknown_.
  bool confirm_mode_ = false;
  std::uint64_t base_seq_ = 1;
  std::uint64_t next_seq_ = 1;
  std::deque<ConfirmStatus> states_;
  std::deque<std::uint64_t> starts_;  // parallel to states_: where each publish's frames start
  std::set<std::uint64_t> nacked_;
  using Ranges = std::vector<std::pair<std::uint64_t, std::uint64_t>>;  // [first, last] ranges
  Ranges unknown_;
  Ranges not_sent_;
  ConfirmTally tally_;
  WaitQueue confirm_waiters_;

  std::exception_ptr error_;
  std::optional<CloseReason> close_reason_;
  bool closing_ = false;
  Waiter* closer_ = nullptr;
};

// A consumer's deliveries waiting for next().
class ConsumerQueue {
 public:
  ConsumerQueue(std::weak_ptr<ChannelCore> channel, std::string tag)
      : channel_(std::move(channel)), tag_(std::move(tag)) {}

  void push(Delivery delivery);
  void end(ConsumerEnd how, std::exception_ptr error) noexcept;
  std::optional<Delivery> next(Duration timeout);
  void cancel();

  const std::string& tag() const noexcept { return tag_; }
  ConsumerEnd end_state() const noexcept { return end_; }
  std::size_t buffered() const noexcept { return deliveries_.size(); }

 private:
  std::weak_ptr<ChannelCore> channel_;
  std::string tag_;
  std::deque<Delivery> deliveries_;
  WaitQueue waiters_;
  ConsumerEnd end_ = ConsumerEnd::none;
  std::exception_ptr error_;
};

}  // namespace fern::amqp::detail
