// ConnectionCore: the state of a redis::Connection, shared between the Connection handle and its
// pump greenlet, so closing the handle never waits for the pump and the pump never outlives what
// it touches. See fern/clients/redis/connection.hpp for the design.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <string>
#include <system_error>

#include "fern/base/clock.hpp"
#include "fern/clients/redis/connection.hpp"
#include "fern/clients/redis/options.hpp"
#include "fern/clients/redis/proto/reply_parser.hpp"
#include "fern/hub/waiter.hpp"
#include "fern/net/socket.hpp"

namespace fern::redis::detail {

// One caller's claim on the next `expected` replies; lives on the caller's stack.
struct PendingCall {
  Waiter* waiter = nullptr;
  Reply* replies = nullptr;
  std::size_t expected = 0;
  std::size_t received = 0;
  std::exception_ptr error;  // set when the connection failed the call
  bool done = false;
};

class ConnectionCore : public std::enable_shared_from_this<ConnectionCore> {
 public:
  explicit ConnectionCore(Options options);
  ~ConnectionCore();
  ConnectionCore(const ConnectionCore&) = delete;
  ConnectionCore& operator=(const ConnectionCore&) = delete;

  std::string& output();
  void discard_output(std::size_t mark) noexcept;
  void await(Reply* replies, std::size_t count, Duration timeout);

  std::size_t pending() const noexcept { return entries_.size(); }
  bool connected() const noexcept { return socket_.is_open(); }
  const Options& options() const noexcept { return options_; }
  ConnectionStats stats() const noexcept { return stats_; }
  void close() noexcept;

 private:
  // A place in the reply FIFO: the call it belongs to (null once abandoned) and how many replies
  // it still expects.
  struct Entry {
    PendingCall* call;
    std::size_t remaining;
  };
  enum class Wake { io, nudge };

  void nudge_pump();
  void run_pump();
  void idle();
  bool connect();
  void transfer();
  bool flush_output();
  bool receive();
  void dispatch(Reply reply);
  Wake wait(std::uint32_t io_events, TimePoint deadline = TimePoint::max());
  void abandon(std::uint64_t seq) noexcept;
  void lose_connection(std::error_code ec, const std::string& reason);
  void fail_all(const std::exception_ptr& error) noexcept;
  void reset_stream() noexcept;

  Options options_;
  net::Socket socket_;
  ReplyParser parser_;
  std::string out_;          // encoded commands not yet sent start at out_[written_]
  std::size_t written_ = 0;  // bytes of out_ already sent
  std::deque<Entry> entries_;
  std::uint64_t head_seq_ = 0;     // sequence number of entries_.front()
  Waiter* pump_waiter_ = nullptr;  // set while the pump is parked and a nudge should wake it
  bool pump_started_ = false;
  bool closed_ = false;
  unsigned failures_ = 0;  // consecutive failed connects
  TimePoint next_attempt_{};
  ConnectionStats stats_;
};

}  // namespace fern::redis::detail
