// The running connection: the reader greenlet (frames in, dispatched by channel), the writer
// greenlet (the output buffer out, heartbeats when idle), channel ids, closing and failing.
#include "connection_core.hpp"

#include <algorithm>

#include "channel_core.hpp"
#include "fern/base/error.hpp"
#include "fern/clients/amqp/proto/frame_writer.hpp"
#include "fern/greenlet/greenlet.hpp"
#include "fern/hub/spawn.hpp"

namespace fern::amqp::detail {
namespace {

// Each read asks for this much room: a burst of deliveries usually arrives in one read.
constexpr std::size_t kReceiveSize = 64 * 1024;

std::exception_ptr fern_error(Errc code, const std::string& what) {
  return std::make_exception_ptr(std::system_error(make_error_code(code), what));
}

}  // namespace

ConnectionCore::ConnectionCore(Options options) : options_(std::move(options)) {}

ConnectionCore::~ConnectionCore() {
  if (transport_) transport_->close();
}

std::string& ConnectionCore::output() {
  throw_if_failed();
  return out_;
}

void ConnectionCore::flush_soon() noexcept {
  if (writer_waiter_) writer_waiter_->wake();
}

void ConnectionCore::wait_publishable() {
  while (!error_ && (blocked_ || out_.size() > options_.max_pending_output)) publish_gate_.wait();
  throw_if_failed();
}

void ConnectionCore::throw_if_failed() const {
  if (error_) std::rethrow_exception(error_);
  if (!opened_) throw_error(Errc::closed, (describe() + ": the connection is not open").c_str());
}

// --- channel ids

std::shared_ptr<ChannelCore> ConnectionCore::open_channel() {
  throw_if_failed();
  const std::size_t max = tuning_.channel_max == 0 ? 65535 : tuning_.channel_max;
  std::size_t id = 1;
  while (id < slots_.size() && slots_[id].in_use) ++id;
  if (id > max)
    throw_error(Errc::limit_exceeded,
                (describe() + ": all " + std::to_string(max) + " channels are in use").c_str());
  if (id >= slots_.size()) slots_.resize(id + 1);
  auto core = std::make_shared<ChannelCore>(shared_from_this(), static_cast<std::uint16_t>(id));
  slots_[id] = {core.get(), true};
  core->rpc(methods::ChannelOpen{}, {methods::ChannelOpenOk::kMethodId});
  return core;
}

void ConnectionCore::release_channel_id(std::uint16_t id) noexcept {
  if (id < slots_.size()) slots_[id] = {};
}

void ConnectionCore::forget_channel(std::uint16_t id, ChannelCore* core) noexcept {
  if (id < slots_.size() && slots_[id].core == core) slots_[id].core = nullptr;
}

ChannelCore* ConnectionCore::channel_for(std::uint16_t id) noexcept {
  return id < slots_.size() ? slots_[id].core : nullptr;
}

// --- greenlets

void ConnectionCore::start_greenlets() {
  SpawnOptions reader;
  reader.name = describe() + " reader";
  spawn_with(reader, [self = shared_from_this()] { self->run_reader(); });
  SpawnOptions writer;
  writer.name = describe() + " writer";
  spawn_with(writer, [self = shared_from_this()] { self->run_writer(); });
}

void ConnectionCore::run_reader() {
  // However the reader ends (a failure, or unwound by a kill or the hub's shutdown), nobody is
  // left waiting for frames that will not come.
  struct Stopped {
    ConnectionCore* core;
    ~Stopped() {
      if (!core->pending_failure_)
        core->fail(fern_error(Errc::cancelled, core->describe() + ": the reader was stopped"));
    }
  } stopped{this};
  while (!error_ && !pending_failure_) {
    std::span<char> room = parser_.prepare(kReceiveSize);
    std::error_code ec;
    const std::size_t n = transport_->read_some(room.data(), room.size(), ec);
    ++stats_.recvs;
    if (error_) return;
    if (ec == Errc::timed_out) {
      fail(fern_error(Errc::timed_out,
                      describe() + ": nothing from the broker for two heartbeat intervals (" +
                          std::to_string(2 * tuning_.heartbeat.count()) + " s): the connection is dead"));
      return;
    }
    if (ec) {
      fail(std::make_exception_ptr(std::system_error(ec, describe() + ": connection lost (read failed)")));
      return;
    }
    if (n == 0) {
      fail(fern_error(Errc::unexpected_eof,
                      describe() + (parser_.idle() ? ": the broker closed the connection"
                                                   : ": the broker closed the connection mid-frame")));
      return;
    }
    parser_.commit(n);
    while (!error_ && !pending_failure_) {
      std::optional<Frame> frame = parser_.next(ec);
      if (!frame) break;
      ++stats_.frames_received;
      dispatch(*frame);
    }
    if (ec && !error_)
      fail(fern_error(Errc::protocol_error, describe() + ": malformed frame: " + parser_.error_message()));
  }
}

void ConnectionCore::run_writer() {
  struct Stopped {
    ConnectionCore* core;
    ~Stopped() {
      core->writer_waiter_ = nullptr;
      core->fail(fern_error(Errc::cancelled, core->describe() + ": the writer was stopped"));
    }
  } stopped{this};
  const Duration beat = std::chrono::duration_cast<Duration>(tuning_.heartbeat) / 2;
  while (!error_) {
    if (out_.empty()) {
      Waiter waiter;
      writer_waiter_ = &waiter;
      const bool woken = waiter.park(beat.count() > 0 ? last_sent_ + beat : TimePoint::max());
      writer_waiter_ = nullptr;
      if (error_) return;
      if (!woken && out_.empty()) {
        append_heartbeat(out_);
        ++stats_.heartbeats_sent;
      }
      continue;
    }
    moved_ += out_.size();
    sending_.swap(out_);
    write_all(sending_);
    sending_.clear();
    last_sent_ = Clock::now();
    publish_gate_.notify_all();
    if (pending_failure_ && out_.empty()) fail(pending_failure_);
  }
}

void ConnectionCore::write_all(const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size() && !error_) {
    std::error_code ec;
    const std::size_t n = transport_->write_some(bytes.data() + done, bytes.size() - done, ec);
    ++stats_.sends;
    if (ec) {
      if (!error_)
        fail(std::make_exception_ptr(std::system_error(ec, describe() + ": connection lost (write failed)")));
      return;
    }
    done += n;
    sent_ += n;
  }
}

// --- frames in

void ConnectionCore::dispatch(const Frame& frame) {
  if (frame.type == FrameType::heartbeat) {
    ++stats_.heartbeats_received;
    return;
  }
  if (frame.channel == 0) {
    on_connection_method(frame);
    return;
  }
  if (ChannelCore* channel = channel_for(frame.channel)) {
    channel->on_frame(frame);
    return;
  }
  if (frame.channel >= slots_.size() || !slots_[frame.channel].in_use) {
    fail(fern_error(Errc::protocol_error, describe() + ": a frame arrived on channel " +
                                              std::to_string(frame.channel) + ", which is not open"));
    return;
  }
  // A channel whose handle is gone: only its close handshake matters.
  if (frame.type != FrameType::method) return;
  Method m;
  std::error_code ec;
  if (!decode_method(frame.payload, m, ec)) return;
  if (std::holds_alternative<methods::ChannelClose>(m)) {
    append_method_frame(out_, frame.channel, methods::ChannelCloseOk{});
    flush_soon();
    release_channel_id(frame.channel);
  } else if (std::holds_alternative<methods::ChannelCloseOk>(m)) {
    release_channel_id(frame.channel);
  }
}

void ConnectionCore::on_connection_method(const Frame& frame) {
  Method m;
  std::error_code ec;
  if (frame.type != FrameType::method || !decode_method(frame.payload, m, ec)) {
    fail(fern_error(Errc::protocol_error, describe() + ": a malformed frame on channel 0"));
    return;
  }
  if (auto* close = std::get_if<methods::ConnectionClose>(&m)) {
    CloseReason reason{close->reply_code, close->reply_text, close->class_id, close->method_id};
    close_reason_ = reason;
    // The writer sends close-ok, then fails the connection with the broker's reason; the reader
    // stops here.
    append_method_frame(out_, 0, methods::ConnectionCloseOk{});
    pending_failure_ = std::make_exception_ptr(ConnectionError(
        reason, describe() + ": the broker closed the connection: " + std::to_string(reason.reply_code) +
                    " " + reason.reply_text));
    flush_soon();
  } else if (std::holds_alternative<methods::ConnectionCloseOk>(m)) {
    close_ok_ = true;
    fail(fern_error(Errc::closed, describe() + ": the connection was closed"));
  } else if (std::holds_alternative<methods::ConnectionBlocked>(m)) {
    blocked_ = true;
    ++stats_.blocked;
  } else if (std::holds_alternative<methods::ConnectionUnblocked>(m)) {
    blocked_ = false;
    publish_gate_.notify_all();
  } else if (!std::holds_alternative<methods::ConnectionUpdateSecretOk>(m)) {
    fail(fern_error(Errc::protocol_error, describe() + ": unexpected " + method_name(m) + " on channel 0"));
  }
}

// --- ending

void ConnectionCore::close() {
  if (error_ || !opened_) return;
  closing_ = true;
  append_method_frame(out_, 0, methods::ConnectionClose{200, "Normal shutdown", 0, 0});
  flush_soon();
  Waiter waiter;
  closer_ = &waiter;
  const TimePoint deadline =
      options_.rpc_timeout == kForever ? TimePoint::max() : deadline_after(options_.rpc_timeout);
  try {
    while (!error_ && waiter.park(deadline)) {
    }
  } catch (...) {
    closer_ = nullptr;
    abort();
    throw;
  }
  closer_ = nullptr;
  fail(fern_error(Errc::closed, describe() + ": the connection was closed"));
}

void ConnectionCore::abort() noexcept {
  fail(fern_error(Errc::closed, describe() + ": the connection was closed"));
}

void ConnectionCore::fail(std::exception_ptr error) noexcept {
  if (error_) return;
  error_ = std::move(error);
  for (std::size_t id = 1; id < slots_.size(); ++id) {
    if (ChannelCore* core = slots_[id].core) core->fail(error_, true);
    slots_[id] = {};
  }
  publish_gate_.notify_all();
  if (writer_waiter_) writer_waiter_->wake();
  if (closer_) closer_->wake();
  if (transport_) transport_->close();
}

}  // namespace fern::amqp::detail
