// Connection: one connection to a Redis server, shared by any number of greenlets, with automatic
// pipelining. A call encodes its command into the connection's output buffer, takes the next place
// in a FIFO of pending calls and parks; every call made in the same turn of the hub goes out in one
// send. A reader greenlet ("the pump") owned by the connection sends, receives, parses and hands
// each reply to the call at the head of the FIFO, so replies reach their callers in order.
//
// Blocking: command() parks the calling greenlet until its reply arrives, the call's timeout
// (Options::command_timeout, or a fern::Timeout scope) passes, or the connection fails. A failed
// call throws fern::OperationError (fern/base/outcome.hpp) with the code and message of what failed:
// the connection lost (with the reason and how many replies were pending), a connect or handshake
// failure, malformed bytes from the server (fern::Errc::protocol_error), a timeout
// (fern::Errc::timed_out). Its outcome() is not_applied when no byte of the request was written
// (it is then withdrawn from the buffer, never sent later), unknown otherwise. A call that times out
// after its request was written closes the connection, so its late reply reaches no one and a
// black-holed connection does not hold every later call; a killed call keeps its place and its reply
// is dropped there. Calls still entirely in the buffer when the connection is lost (or found dead
// before writing, by a probe of a connection that sat idle) go out once on the next connection. An
// error reply is ReplyError (the server refused the command). The connection reconnects on the
// next call after a loss, waiting a backoff after failed attempts. See docs/design/outcomes.md.
//
// Implementation: the pending FIFO holds pointers to slots on the callers' stacks (a slot is the
// Waiter the caller parks on plus where its replies go); an abandoned slot is nulled in place.
// The pump connects and runs the handshake, then loops: send what is buffered (non-blocking), wait
// for the socket or for a caller's nudge, receive straight into the parser's buffer, dispatch. A
// caller nudges the pump when it adds the first command of a batch; the pump runs in the hub's next
// turn, after every greenlet that was ready in this one has added its command.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "fern/base/clock.hpp"
#include "fern/clients/redis/options.hpp"
#include "fern/clients/redis/proto/command_writer.hpp"
#include "fern/clients/redis/proto/reply.hpp"

namespace fern::redis {

namespace detail {
class ConnectionCore;
// The steps of Connection::exchange that do not depend on its template arguments.
std::string& output_buffer(ConnectionCore& core);
void discard_output(ConnectionCore& core, std::size_t mark) noexcept;
// Parks for the replies to the commands encoded at output_buffer(core)[mark..].
void await_replies(ConnectionCore& core, Reply* replies, std::size_t count, Duration timeout,
                   std::size_t mark);
[[noreturn]] void throw_reply_error(const Reply& reply);
}  // namespace detail

// Counters of what a connection did, for tests and benchmarks.
struct ConnectionStats {
  std::uint64_t commands = 0;  // replies awaited
  std::uint64_t sends = 0;     // send(2) calls
  std::uint64_t recvs = 0;     // recv(2) calls
  std::uint64_t connects = 0;  // successful connects (the first one included)
  std::uint64_t losses = 0;    // connections lost (closed by the server, a fault, a timeout)
};

class Connection {
 public:
  // Does not connect yet: the first call does.
  explicit Connection(Options options = {});
  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  // Closes (see close()); never blocks.
  ~Connection();

  // Sends one command and returns its reply; an error reply throws ReplyError.
  template <CommandArg... Args>
  Reply command(const Args&... args) {
    return command_for(options().command_timeout, args...);
  }
  template <CommandArg... Args>
  Reply command_for(Duration timeout, const Args&... args) {
    Reply reply;
    exchange(&reply, 1, timeout, [&](std::string& out) { encode_command(out, args...); });
    if (reply.is_error()) detail::throw_reply_error(reply);
    return reply;
  }

  // The primitive under every call: `encode(out)` appends exactly `count` encoded commands to the
  // output buffer (in one go, so no other caller's command lands between them), then the caller
  // parks until their `count` replies are stored in replies[0..count). Error replies are stored,
  // not thrown.
  template <class Encode>
  void exchange(Reply* replies, std::size_t count, Duration timeout, Encode&& encode) {
    std::string& out = detail::output_buffer(*core_);
    const std::size_t mark = out.size();
    try {
      encode(out);
    } catch (...) {
      detail::discard_output(*core_, mark);
      throw;
    }
    detail::await_replies(*core_, replies, count, timeout, mark);
  }

  // A stateful connection holds state set by earlier calls (WATCH, CLIENT TRACKING, a database
  // chosen by SELECT) that a new connection would lack: calls still in its buffer when it is lost
  // fail with Outcome::not_applied instead of going out on the next connection. A Session's
  // connection is stateful while the Session holds it.
  void set_stateful(bool stateful) noexcept;

  // Calls waiting for replies (sent or not).
  std::size_t pending() const noexcept;
  bool connected() const noexcept;
  const Options& options() const noexcept;
  ConnectionStats stats() const noexcept;

  // Fails every pending call with fern::Errc::closed (each with its outcome) and closes the socket; the pump
  // greenlet ends on its next turn. Later calls throw fern::Errc::closed.
  void close() noexcept;

 private:
  std::shared_ptr<detail::ConnectionCore> core_;
};

}  // namespace fern::redis
