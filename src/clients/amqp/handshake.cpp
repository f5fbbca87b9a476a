// Opening a connection: TCP (and TLS), the protocol header, PLAIN login, tune negotiation and
// the virtual host, all in the calling greenlet before the reader and writer start.
#include <sys/socket.h>

#include <algorithm>

#include "connection_core.hpp"
#include "fern/base/error.hpp"
#include "fern/base/error_context.hpp"
#include "fern/clients/amqp/proto/frame_writer.hpp"
#include "fern/net/address.hpp"
#include "fern/net/create_connection.hpp"
#include "fern/net/socket.hpp"
#include "fern/net/tls_stream.hpp"

namespace fern::amqp::detail {
namespace {

// The spec's rule for channel_max and frame_max: the smaller of both, where 0 means no limit.
template <class T>
T negotiate(T ours, T theirs) {
  if (ours == 0) return theirs;
  if (theirs == 0) return ours;
  return std::min(ours, theirs);
}

FieldTable client_properties(const Options& o) {
  FieldTable capabilities{{"publisher_confirms", true}, {"exchange_exchange_bindings", true},
                          {"basic.nack", true},         {"consumer_cancel_notify", true},
                          {"connection.blocked", true}, {"authentication_failure_close", true},
                          {"per_consumer_qos", true}};
  FieldTable props{{"product", "fern"}, {"platform", "C++20"}, {"capabilities", capabilities}};
  if (!o.connection_name.empty()) props.set("connection_name", o.connection_name);
  for (const auto& [name, value] : o.client_properties.entries()) props.set(name, value);
  return props;
}

}  // namespace

void ConnectionCore::open() {
  try {
    connect_transport();
    handshake();
  } catch (const std::system_error& e) {
    if (transport_) transport_->close();
    if (dynamic_cast<const ConnectionError*>(&e)) throw;
    throw with_context(e, describe() + ": cannot open the connection",
                       "fern: connect to " + options_.endpoint());
  }
  opened_ = true;
  last_sent_ = Clock::now();
  start_greenlets();
}

void ConnectionCore::connect_transport() {
  net::Socket socket;
  if (std::optional<net::Address> address = net::Address::parse(options_.host, options_.port)) {
    socket = net::Socket(address->family(), SOCK_STREAM);
    socket.connect(*address, options_.connect_timeout);
  } else {
    socket = net::create_connection(options_.host, options_.port, options_.connect_timeout);
  }
  socket.set_nodelay();
  if (options_.tls) {
    const std::string& name = options_.tls_server_name.empty() ? options_.host : options_.tls_server_name;
    transport_ = std::make_unique<net::TlsSocket>(
        net::TlsSocket::connect(std::move(socket), *options_.tls, name, options_.connect_timeout));
  } else {
    transport_ = std::make_unique<net::Socket>(std::move(socket));
  }
  transport_->set_timeout(options_.connect_timeout);
}

void ConnectionCore::send_now(const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    std::error_code ec;
    done += transport_->write_some(bytes.data() + done, bytes.size() - done, ec);
    ++stats_.sends;
    if (ec) throw std::system_error(ec, "send failed");
  }
}

Method ConnectionCore::read_handshake_method(const char* expecting) {
  for (;;) {
    std::error_code ec;
    if (std::optional<Frame> frame = parser_.next(ec)) {
      ++stats_.frames_received;
      if (frame->type == FrameType::heartbeat) continue;
      Method m;
      if (frame->type != FrameType::method || frame->channel != 0 || !decode_method(frame->payload, m, ec))
        throw_error(Errc::protocol_error,
                    (std::string("a malformed frame while expecting ") + expecting).c_str());
      if (auto* close = std::get_if<methods::ConnectionClose>(&m)) {
        CloseReason reason{close->reply_code, close->reply_text, close->class_id, close->method_id};
        close_reason_ = reason;
        std::string out;
        append_method_frame(out, 0, methods::ConnectionCloseOk{});
        std::error_code ignored;
        transport_->write_some(out.data(), out.size(), ignored);
        throw ConnectionError(reason, describe() + ": the broker refused the connection: " +
                                          std::to_string(reason.reply_code) + " " + reason.reply_text);
      }
      return m;
    }
    if (ec) throw_error(Errc::protocol_error, parser_.error_message().c_str());
    std::span<char> room = parser_.prepare(4096);
    const std::size_t n = transport_->read_some(room.data(), room.size(), ec);
    ++stats_.recvs;
    if (ec) throw std::system_error(ec, std::string("no answer while expecting ") + expecting);
    if (n == 0)
      throw_error(
          Errc::unexpected_eof,
          (std::string("the broker closed the connection while we expected ") + expecting +
           " (wrong credentials or virtual host are reported this way by brokers that do not send a reason)")
              .c_str());
    parser_.commit(n);
  }
}

void ConnectionCore::handshake() {
  send_now(std::string(kProtocolHeader));
  Method m = read_handshake_method("connection.start");
  auto* start = std::get_if<methods::ConnectionStart>(&m);
  if (!start) throw_error(Errc::protocol_error, "the broker did not begin with connection.start");
  server_properties_ = std::move(start->server_properties);
  if (start->mechanisms.find("PLAIN") == std::string::npos)
    throw_error(Errc::protocol_error,
                ("the broker does not offer PLAIN login: " + start->mechanisms).c_str());

  methods::ConnectionStartOk start_ok;
  start_ok.client_properties = client_properties(options_);
  start_ok.response = std::string(1, '\0') + options_.user + std::string(1, '\0') + options_.password;
  std::string out;
  append_method_frame(out, 0, start_ok);
  send_now(out);

  m = read_handshake_method("connection.tune");
  auto* tune = std::get_if<methods::ConnectionTune>(&m);
  if (!tune)
    throw_error(Errc::protocol_error,
                (std::string("expected connection.tune, got ") + method_name(m)).c_str());
  tuning_.channel_max = negotiate(options_.channel_max, tune->channel_max);
  tuning_.frame_max = negotiate(options_.frame_max, tune->frame_max);
  if (tuning_.frame_max != 0) tuning_.frame_max = std::max(tuning_.frame_max, kFrameMinSize);
  // Heartbeat: 0 from us turns them off; otherwise the smaller non-zero value.
  const auto ours = static_cast<std::uint16_t>(std::min<std::int64_t>(options_.heartbeat.count(), 65535));
  tuning_.heartbeat = std::chrono::seconds(ours == 0 ? 0 : negotiate<std::uint16_t>(ours, tune->heartbeat));
  parser_.set_frame_max(tuning_.frame_max);

  out.clear();
  append_method_frame(out, 0,
                      methods::ConnectionTuneOk{tuning_.channel_max, tuning_.frame_max,
                                                static_cast<std::uint16_t>(tuning_.heartbeat.count())});
  methods::ConnectionOpen open;
  open.virtual_host = options_.vhost;
  append_method_frame(out, 0, open);
  send_now(out);
  m = read_handshake_method("connection.open-ok");
  if (!std::holds_alternative<methods::ConnectionOpenOk>(m))
    throw_error(Errc::protocol_error,
                (std::string("expected connection.open-ok, got ") + method_name(m)).c_str());
  transport_->set_timeout(
      tuning_.heartbeat.count() > 0 ? std::chrono::duration_cast<Duration>(2 * tuning_.heartbeat) : kForever);
}

}  // namespace fern::amqp::detail
