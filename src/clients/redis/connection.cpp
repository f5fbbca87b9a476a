#include "fern/clients/redis/connection.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <utility>

#include "connection_core.hpp"
#include "fern/base/error.hpp"
#include "fern/base/outcome.hpp"
#include "fern/clients/redis/reply_error.hpp"
#include "fern/greenlet/greenlet.hpp"
#include "fern/hub/driver.hpp"
#include "fern/hub/fd_watch.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/timeout.hpp"
#include "fern/net/address.hpp"
#include "fern/net/create_connection.hpp"
#include "fern/net/idle_probe.hpp"

namespace fern::redis {
namespace detail {
namespace {

// Each receive asks for at least this much room: a batch of replies usually arrives in one recv.
constexpr std::size_t kReceiveSize = 64 * 1024;

OperationError closed_error(const Options& options) {
  return OperationError(make_error_code(fern::Errc::closed),
                        "redis " + options.endpoint() + ": the connection was closed", Outcome::not_applied);
}

std::string replies_pending(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " reply" : " replies") + " pending";
}

}  // namespace

ConnectionCore::ConnectionCore(Options options) : options_(std::move(options)) {}

ConnectionCore::~ConnectionCore() { close(); }

std::string& ConnectionCore::output() {
  if (closed_) throw closed_error(options_);
  return out_;
}

void ConnectionCore::discard_output(std::size_t mark) noexcept {
  if (mark >= written_ && mark <= out_.size()) out_.resize(mark);
}

void ConnectionCore::await(Reply* replies, std::size_t count, Duration timeout, std::size_t mark) {
  if (count == 0) return;
  Waiter waiter;
  PendingCall call;
  call.waiter = &waiter;
  call.replies = replies;
  call.expected = count;
  nudge_pump();  // first: if starting the pump throws, nothing points at `call` yet
  const std::uint64_t seq = next_seq_++;
  entries_.push_back({&call, count, seq, base_ + mark, base_ + out_.size()});
  stats_.commands += count;
  const TimePoint deadline = timeout == kForever ? TimePoint::max() : deadline_after(timeout);
  bool timed_out = false;
  try {
    while (!call.done && !timed_out) timed_out = !waiter.park(deadline);
  } catch (const TimeoutError&) {
    if (!call.done) give_up(seq, true);
    throw;
  } catch (...) {
    if (!call.done) give_up(seq, false);
    throw;
  }
  // Once done, this connection may already be gone: touch only `call` from here on.
  if (!call.done) {
    const Outcome outcome = give_up(seq, true);
    throw OperationError(make_error_code(fern::Errc::timed_out),
                         "redis " + options_.endpoint() + ": no reply within the command timeout", outcome);
  }
  if (call.error) std::rethrow_exception(call.error);
}

ConnectionCore::Entry* ConnectionCore::find(std::uint64_t seq) noexcept {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), seq,
                             [](const Entry& e, std::uint64_t s) { return e.seq < s; });
  return it != entries_.end() && it->seq == seq ? &*it : nullptr;
}

void ConnectionCore::abandon(std::uint64_t seq) noexcept {
  if (Entry* e = find(seq)) e->call = nullptr;
}

// A request that never left is withdrawn (its bytes will not go out): not applied. One that did
// keeps its place, so its reply is read and dropped, never handed to the next caller; after a
// timeout the connection is closed as well, since a server or network that did not answer in time
// would make every later call on the connection wait behind it (the next call reconnects).
Outcome ConnectionCore::give_up(std::uint64_t seq, bool timed_out) {
  Entry* e = find(seq);
  if (!e) return Outcome::unknown;  // not reachable while the call is pending; claim nothing
  const bool sent_some = started(*e);
  e->call = nullptr;
  if (!sent_some) {
    drop_unsent_abandoned();
    return Outcome::not_applied;
  }
  if (timed_out && socket_.is_open()) {
    lose_connection(make_error_code(fern::Errc::timed_out),
                    "closed after a call timed out with its reply due");
    if (pump_waiter_) pump_waiter_->wake();
  }
  return Outcome::unknown;
}

void ConnectionCore::drop_unsent_abandoned() {
  auto unsent = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return !started(e); });
  if (unsent == entries_.end()) return;
  std::string kept = out_.substr(0, unsent->first - base_);
  std::deque<Entry> entries(entries_.begin(), unsent);
  for (auto it = unsent; it != entries_.end(); ++it) {
    if (!it->call) continue;
    Entry e = *it;
    e.first = base_ + kept.size();
    kept.append(out_, it->first - base_, it->end - it->first);
    e.end = base_ + kept.size();
    entries.push_back(e);
  }
  out_ = std::move(kept);
  entries_ = std::move(entries);
}

void ConnectionCore::close() noexcept {
  if (closed_) return;
  closed_ = true;
  fail_pending(closed_error(options_), false);
  reset_stream();
  socket_.close();  // wakes the pump if it waits on the socket
  if (pump_waiter_) pump_waiter_->wake();
}

void ConnectionCore::nudge_pump() {
  if (!pump_started_) {
    SpawnOptions spawn_options;
    spawn_options.name = "redis " + options_.endpoint();
    spawn_with(spawn_options, [self = shared_from_this()] { self->run_pump(); });
    pump_started_ = true;
    return;
  }
  if (pump_waiter_) pump_waiter_->wake();
}

void ConnectionCore::run_pump() {
  // However the pump ends (closed, or unwound by a kill or the hub's shutdown), no caller is left
  // waiting for it, and the next call starts a new one.
  struct Stopped {
    ConnectionCore* core;
    ~Stopped() {
      core->pump_started_ = false;
      core->pump_waiter_ = nullptr;
      if (core->closed_) return;
      core->socket_.close();
      core->reset_stream();
      core->fail_pending(std::system_error(make_error_code(fern::Errc::cancelled),
                                           "redis " + core->options_.endpoint() + ": the reader was stopped"),
                         false);
    }
  } stopped{this};
  while (!closed_) {
    if (entries_.empty()) {
      idle();
    } else if (socket_.is_open() || connect()) {
      transfer();
    }
  }
}

void ConnectionCore::idle() {
  if (!socket_.is_open()) {
    wait(0);
    return;
  }
  // Watch the idle socket, so a server that goes away is noticed now, not by the next caller.
  if (wait(io_events::readable) == Wake::io && !closed_ && entries_.empty()) receive();
}

void ConnectionCore::transfer() {
  if (idle_ && peer_closed_while_idle()) return;
  idle_ = false;
  bool may_read = false;  // recv before waiting (see receive())
  while (!closed_ && socket_.is_open() && !entries_.empty()) {
    bool want_write = false;
    if (written_ < out_.size()) {
      want_write = !flush_output();
      if (!socket_.is_open()) return;
    }
    if (!may_read) {
      Wake woke = wait(io_events::readable | (want_write ? io_events::writable : 0));
      if (woke == Wake::nudge || closed_) continue;
    }
    may_read = receive();
  }
}

// A server that closed or reset the connection while it sat idle is found before the next batch is
// written into it: then none of the batch reached the server, and it goes out on a new connection.
// Without the look, the kernel would take the bytes and the outcome would be unknown.
bool ConnectionCore::peer_closed_while_idle() {
  ++stats_.recvs;
  if (net::probe_idle(socket_.fd()) != net::IdleState::closed) return false;
  lose_connection(make_error_code(fern::Errc::unexpected_eof),
                  "the server had closed the connection before the request went out");
  return true;
}

bool ConnectionCore::flush_output() {
  while (written_ < out_.size()) {
    ssize_t n = ::send(socket_.fd(), out_.data() + written_, out_.size() - written_, MSG_NOSIGNAL);
    ++stats_.sends;
    if (n > 0) {
      written_ += static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    lose_connection({errno, std::system_category()}, "send failed");
    return false;
  }
  if (written_ == out_.size()) {
    base_ += written_;
    out_.clear();
    written_ = 0;
    return true;
  }
  // Keep the unsent tail at the front once most of the buffer has gone out.
  if (written_ > out_.size() / 2) {
    base_ += written_;
    out_.erase(0, written_);
    written_ = 0;
  }
  return false;
}

bool ConnectionCore::receive() {
  std::span<char> room = parser_.prepare(kReceiveSize);
  ssize_t n = ::recv(socket_.fd(), room.data(), room.size(), 0);
  ++stats_.recvs;
  if (n < 0) {
    if (errno == EINTR) return true;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      lose_connection({errno, std::system_category()}, "recv failed");
    return false;
  }
  if (n == 0) {
    lose_connection(make_error_code(fern::Errc::unexpected_eof),
                    parser_.idle() ? "the server closed the connection"
                                   : "the server closed the connection in the middle of a reply");
    return false;
  }
  parser_.commit(static_cast<std::size_t>(n));
  std::error_code ec;
  while (socket_.is_open()) {
    std::optional<Reply> reply = parser_.next(ec);
    if (!reply) break;
    dispatch(std::move(*reply));
  }
  if (ec) {
    lose_connection(ec, "malformed reply: " + parser_.error_message());
    return false;
  }
  // Read again before waiting when the buffer filled up, and also when replies are still due: a
  // short read does not prove the stream is drained, since the server's FIN may have come in the
  // same edge as the data, and epoll would not report it again. With nothing pending the pump
  // waits instead (saving a recv per batch); a FIN that came with the last reply is then found by
  // the next call's send.
  return socket_.is_open() && (static_cast<std::size_t>(n) == room.size() || !entries_.empty());
}

void ConnectionCore::dispatch(Reply reply) {
  if (reply.kind() == Kind::push) {
    if (options_.on_push) {
      try {
        options_.on_push(std::move(reply));
      } catch (...) {
        // Not the callers' concern, but not silent either: the hub's error handler hears of it.
        report_callback_failure("redis on_push");
      }
    }
    return;
  }
  if (entries_.empty()) {
    lose_connection(make_error_code(fern::Errc::protocol_error),
                    "a reply arrived with no command waiting for it: " + reply.to_string().substr(0, 80));
    return;
  }
  Entry& entry = entries_.front();
  if (PendingCall* call = entry.call) call->replies[call->received++] = std::move(reply);
  if (--entry.remaining > 0) return;
  if (PendingCall* call = entry.call) {
    call->done = true;
    call->waiter->wake();
  }
  entries_.pop_front();
  if (entries_.empty()) idle_ = true;
}

ConnectionCore::Wake ConnectionCore::wait(std::uint32_t events, TimePoint deadline) {
  Waiter waiter;
  FdWatch watch;
  if (events != 0 && !watch.start(waiter, socket_.fd(), events)) return Wake::io;
  struct Parked {
    ConnectionCore* core;
    ~Parked() { core->pump_waiter_ = nullptr; }
  } parked{this};
  pump_waiter_ = &waiter;  // a caller's nudge wakes the same Waiter
  waiter.park(deadline);
  return watch.fired() ? Wake::io : Wake::nudge;
}

void ConnectionCore::lose_connection(std::error_code ec, const std::string& reason) {
  std::size_t replies = 0;
  for (const Entry& e : entries_) replies += e.remaining;
  std::string what = "redis " + options_.endpoint() + ": connection lost";
  if (replies > 0) what += " with " + replies_pending(replies);
  what += ": " + reason;
  socket_.close();
  parser_.reset();
  ++stats_.losses;
  failures_ = 0;  // it worked: reconnect at once
  next_attempt_ = TimePoint{};
  fail_pending(std::system_error(ec, what), !closed_ && !stateful_);
}

void ConnectionCore::fail_pending(const std::system_error& error, bool carry_over) noexcept {
  const std::exception_ptr unknown = std::make_exception_ptr(OperationError(error, Outcome::unknown));
  const std::exception_ptr not_applied = std::make_exception_ptr(OperationError(error, Outcome::not_applied));
  std::deque<Entry> pending;
  pending.swap(entries_);
  std::string carried;
  for (Entry& e : pending) {
    const bool sent_some = started(e);
    if (carry_over && e.call && !sent_some && !e.resent) {
      const std::uint64_t size = e.end - e.first;
      carried.append(out_, e.first - base_, size);
      e.first = carried.size() - size;
      e.end = carried.size();
      e.resent = true;
      entries_.push_back(e);
    } else if (e.call) {
      finish(*e.call, sent_some ? unknown : not_applied);
    }
  }
  out_ = std::move(carried);
  written_ = 0;
  base_ = 0;
}

void ConnectionCore::fail_all(const std::exception_ptr& error) noexcept {
  std::deque<Entry> failed;
  failed.swap(entries_);
  for (Entry& e : failed) {
    if (e.call) finish(*e.call, error);
  }
  out_.clear();
  written_ = 0;
  base_ = 0;
}

void ConnectionCore::finish(PendingCall& call, const std::exception_ptr& error) noexcept {
  call.error = error;
  call.done = true;
  call.waiter->wake();
}

void ConnectionCore::reset_stream() noexcept { parser_.reset(); }

// --- the out-of-line steps of Connection::exchange and command

std::string& output_buffer(ConnectionCore& core) { return core.output(); }
void discard_output(ConnectionCore& core, std::size_t mark) noexcept { core.discard_output(mark); }
void await_replies(ConnectionCore& core, Reply* replies, std::size_t count, Duration timeout,
                   std::size_t mark) {
  core.await(replies, count, timeout, mark);
}
void throw_reply_error(const Reply& reply) { throw ReplyError(reply.as_string()); }

}  // namespace detail

// --- Connection

Connection::Connection(Options options)
    : core_(std::make_shared<detail::ConnectionCore>(std::move(options))) {}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    if (core_) core_->close();
    core_ = std::move(other.core_);
  }
  return *this;
}
Connection::~Connection() {
  if (core_) core_->close();
}

std::size_t Connection::pending() const noexcept { return core_->pending(); }
bool Connection::connected() const noexcept { return core_->connected(); }
const Options& Connection::options() const noexcept { return core_->options(); }
ConnectionStats Connection::stats() const noexcept { return core_->stats(); }
void Connection::close() noexcept { core_->close(); }
void Connection::set_stateful(bool stateful) noexcept { core_->set_stateful(stateful); }

}  // namespace fern::redis
