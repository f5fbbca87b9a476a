#include "amqp_test_support.hpp"

#include <unistd.h>

#include <atomic>
#include <optional>

#include "fern/clients/amqp/proto/frame_parser.hpp"
#include "fern/clients/amqp/proto/frame_writer.hpp"
#include "fern/net/address.hpp"

namespace fern_amqp_test {

fern_test::RabbitmqServer& shared_broker() {
  static fern_test::RabbitmqServer broker;
  return broker;
}

fern::amqp::Options options_for(int port) {
  fern::amqp::Options o;
  o.port = static_cast<std::uint16_t>(port);
  o.rpc_timeout = std::chrono::seconds(60);  // a hung test fails instead of hanging
  return o;
}

std::string unique_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return "fern." + prefix + "." + std::to_string(::getpid()) + "." + std::to_string(counter++);
}

FakeBroker::FakeBroker(Script script) {
  listener_ = fern::net::listen_tcp(fern::net::Address::ipv4_loopback(0));
  port_ = listener_.local_address().port();
  acceptor_ = fern::spawn([this, script = std::move(script)] {
    for (;;) {
      std::error_code ec;
      fern::net::Socket peer = listener_.accept(nullptr, ec);
      if (ec) return;
      sessions_.push_back(fern::spawn(
          [script](fern::net::Socket s) {
            FakePeer p{std::move(s), fern::amqp::FrameParser(0)};
            script(p);
          },
          std::move(peer)));
    }
  });
}

FakeBroker::~FakeBroker() {
  listener_.close();
  acceptor_->kill();
  for (auto& s : sessions_) s->kill();
}

fern::amqp::Options FakeBroker::options() const {
  fern::amqp::Options o = options_for(port_);
  o.connect_timeout = std::chrono::seconds(30);
  return o;
}

std::optional<fern::amqp::Method> FakeBroker::read_method(FakePeer& peer, std::uint16_t* channel) {
  for (;;) {
    std::error_code ec;
    std::optional<fern::amqp::Frame> f = peer.parser.next(ec);
    if (ec) return std::nullopt;
    if (!f) {
      std::span<char> room = peer.parser.prepare(4096);
      std::size_t n = peer.socket.recv(room.data(), room.size(), ec);
      if (ec || n == 0) return std::nullopt;
      peer.parser.commit(n);
      continue;
    }
    if (f->type != fern::amqp::FrameType::method) continue;
    fern::amqp::Method m;
    if (!fern::amqp::decode_method(f->payload, m, ec)) return std::nullopt;
    if (channel) *channel = f->channel;
    return m;
  }
}

void FakeBroker::send_method(FakePeer& peer, std::uint16_t channel, const fern::amqp::Method& m) {
  std::string out;
  fern::amqp::append_method_frame(out, channel, m);
  peer.socket.send_all(out);
}

void FakeBroker::handshake(FakePeer& peer, std::uint16_t heartbeat) {
  char header[8];
  std::size_t got = 0;
  while (got < sizeof header) {
    std::size_t n = peer.socket.recv(header + got, sizeof header - got);
    if (n == 0) return;
    got += n;
  }
  fern::amqp::methods::ConnectionStart start;
  start.server_properties = fern::amqp::FieldTable{{"product", "fake broker"}};
  send_method(peer, 0, start);
  read_method(peer);  // start-ok
  send_method(peer, 0, fern::amqp::methods::ConnectionTune{2047, 131072, heartbeat});
  read_method(peer);  // tune-ok
  read_method(peer);  // open
  send_method(peer, 0, fern::amqp::methods::ConnectionOpenOk{});
}

}  // namespace fern_amqp_test
