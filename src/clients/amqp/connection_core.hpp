// ConnectionCore: the state of an amqp::Connection shared by the handle, its channels and its two
// greenlets (the reader, which parses and dispatches frames, and the writer, which sends the
// output buffer and the heartbeats). See fern/clients/amqp/connection.hpp for the design.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fern/base/clock.hpp"
#include "fern/clients/amqp/connection.hpp"
#include "fern/clients/amqp/proto/frame_parser.hpp"
#include "fern/clients/amqp/proto/methods.hpp"
#include "fern/hub/wait_queue.hpp"
#include "fern/hub/waiter.hpp"
#include "fern/net/transport.hpp"

namespace fern::amqp::detail {

class ChannelCore;

// What the handshake settled.
struct Tuning {
  std::uint16_t channel_max = 0;
  std::uint32_t frame_max = 0;
  std::chrono::seconds heartbeat{0};
};

class ConnectionCore : public std::enable_shared_from_this<ConnectionCore> {
 public:
  explicit ConnectionCore(Options options);
  ~ConnectionCore();
  ConnectionCore(const ConnectionCore&) = delete;
  ConnectionCore& operator=(const ConnectionCore&) = delete;

  // Connects, runs the handshake and starts the reader and writer greenlets.
  void open();

  // The output buffer, for appending whole frames; throws the connection's error once it failed.
  // Appending never parks; the writer sends in the hub's next turn.
  std::string& output();
  // Wakes the writer after frames were appended.
  void flush_soon() noexcept;
  // Where the next byte appended to output() will sit in the connection's output stream, and
  // whether the kernel has taken any byte at or past `position`: a publish whose frames start at a
  // position the kernel never reached was not sent.
  std::uint64_t output_position() const noexcept { return moved_ + out_.size(); }
  bool sent_past(std::uint64_t position) const noexcept { return sent_ > position; }
  // Parks a publisher while the broker blocks publishing or the output is over its bound.
  void wait_publishable();

  std::shared_ptr<ChannelCore> open_channel();
  void release_channel_id(std::uint16_t id) noexcept;
  void forget_channel(std::uint16_t id, ChannelCore* core) noexcept;

  void close();
  void abort() noexcept;
  // Fails the connection: every channel and waiter gets `error`; the socket closes.
  void fail(std::exception_ptr error) noexcept;
  void throw_if_failed() const;

  bool is_open() const noexcept { return !error_ && opened_; }
  bool blocked() const noexcept { return blocked_; }
  std::exception_ptr error() const { return error_; }
  std::optional<CloseReason> close_reason() const { return close_reason_; }
  const Tuning& tuning() const noexcept { return tuning_; }
  const FieldTable& server_properties() const noexcept { return server_properties_; }
  const Options& options() const noexcept { return options_; }
  ConnectionStats& stats() noexcept { return stats_; }
  std::string describe() const { return "amqp " + options_.endpoint(); }

 private:
  void connect_transport();
  void handshake();
  Method read_handshake_method(const char* expecting);
  void send_now(const std::string& bytes);
  void start_greenlets();
  void run_reader();
  void run_writer();
  void write_all(const std::string& bytes);
  void dispatch(const Frame& frame);
  void on_connection_method(const Frame& frame);
  ChannelCore* channel_for(std::uint16_t id) noexcept;

  Options options_;
  std::unique_ptr<net::Transport> transport_;
  FrameParser parser_;
  Tuning tuning_;
  FieldTable server_properties_;

  std::string out_;          // frames queued by callers
  std::string sending_;      // frames the writer is sending
  std::uint64_t moved_ = 0;  // bytes moved from out_ to sending_ so far
  std::uint64_t sent_ = 0;   // bytes the transport took so far
  Waiter* writer_waiter_ = nullptr;
  TimePoint last_sent_{};
  WaitQueue publish_gate_;  // publishers parked while blocked or over the output bound

  // Channel ids: slot i is channel i. A slot in use with a null core is a channel whose handle
  // went away while channel.close was in flight; its id is free again at close-ok.
  struct Slot {
    ChannelCore* core = nullptr;
    bool in_use = false;
  };
  std::vector<Slot> slots_;

  std::exception_ptr error_;
  std::exception_ptr pending_failure_;  // the broker's close, once close-ok is sent
  std::optional<CloseReason> close_reason_;
  Waiter* closer_ = nullptr;  // close() waiting for close-ok
  bool close_ok_ = false;
  bool opened_ = false;
  bool blocked_ = false;
  bool closing_ = false;
  ConnectionStats stats_;
};

}  // namespace fern::amqp::detail
