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
#include "fern/base/outcome.hpp"
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
  // Parks until the `count` replies to the commands encoded at output()[mark..] arrive.
  void await(Reply* replies, std::size_t count, Duration timeout, std::size_t mark);

  std::size_t pending() const noexcept { return entries_.size(); }
  bool connected() const noexcept { return socket_.is_open(); }
  const Options& options() const noexcept { return options_; }
  ConnectionStats stats() const noexcept { return stats_; }
  void close() noexcept;
  void set_stateful(bool stateful) noexcept { stateful_ = stateful; }

 private:
  // A place in the reply FIFO: the call it belongs to (null once abandoned), how many replies it
  // still expects, and where its request lies in the connection's output stream, so a failure can
  // tell a request that never left (not applied) from one that may have reached the server.
  struct Entry {
    PendingCall* call;
    std::size_t remaining;
    std::uint64_t seq;    // the caller's handle for abandon()
    std::uint64_t first;  // stream offsets of the request's bytes: [first, end)
    std::uint64_t end;
    bool resent = false;  // already carried over to a new connection once
  };
  enum class Wake { io, nudge };

  void nudge_pump();
  void run_pump();
  void idle();
  bool connect();
  void fail_connecting(const std::exception& error) noexcept;
  void transfer();
  bool flush_output();
  bool receive();
  void dispatch(Reply reply);
  Wake wait(std::uint32_t io_events, TimePoint deadline = TimePoint::max());
  Entry* find(std::uint64_t seq) noexcept;
  std::uint64_t sent() const noexcept { return base_ + written_; }
  bool started(const Entry& e) const noexcept { return e.first < sent(); }
  void abandon(std::uint64_t seq) noexcept;
  // A call given up by its caller (timed out, or killed): what its request may have done.
  Outcome give_up(std::uint64_t seq, bool timed_out);
  void drop_unsent_abandoned();
  bool peer_closed_while_idle();
  void lose_connection(std::error_code ec, const std::string& reason);
  // Fails every pending call with `ec` and `what`, each with its outcome: unknown once a byte of its
  // request was sent, not_applied otherwise. When `carry_over`, calls never sent (and not carried
  // over before) stay queued instead, with their bytes, for the next connection.
  void fail_pending(const std::system_error& error, bool carry_over) noexcept;
  // Fails every pending call with `error` (a failure that is not about the stream, such as a
  // rejected handshake) and drops what was not sent.
  void fail_all(const std::exception_ptr& error) noexcept;
  static void finish(PendingCall& call, const std::exception_ptr& error) noexcept;
  void reset_stream() noexcept;

  Options options_;
  net::Socket socket_;
  ReplyParser parser_;
  std::string out_;          // encoded commands not yet sent start at out_[written_]
  std::size_t written_ = 0;  // bytes of out_ already sent
  std::uint64_t base_ = 0;   // the stream offset of out_[0]
  std::deque<Entry> entries_;
  std::uint64_t next_seq_ = 0;
  bool idle_ = true;
  bool stateful_ = false;  // see Connection::set_stateful  // no reply was due since the connection was made
                           // or last drained
  Waiter* pump_waiter_ = nullptr;  // set while the pump is parked and a nudge should wake it
  bool pump_started_ = false;
  bool closed_ = false;
  unsigned failures_ = 0;  // consecutive failed connects
  TimePoint next_attempt_{};
  ConnectionStats stats_;
};

}  // namespace fern::redis::detail
