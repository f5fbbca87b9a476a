// Shared pieces of the AMQP client tests: one rabbitmq-server per test binary, Options pointing at
// it, unique queue names, and FakeBroker, a broker in a fern greenlet that runs a script on each
// connection (to send malformed frames, close mid-frame, or go silent after the handshake).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "fern/clients/amqp/options.hpp"
#include "fern/clients/amqp/proto/frame_parser.hpp"
#include "fern/clients/amqp/proto/methods.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/net/socket.hpp"
#include "rabbitmq_server.hpp"

namespace fern_amqp_test {

// Started on first use, stopped at exit. Tests that restart a broker start their own.
fern_test::RabbitmqServer& shared_broker();
fern::amqp::Options options_for(int port);
// A queue or exchange name no other test uses.
std::string unique_name(const std::string& prefix);

// One connection to the fake broker: its socket and the parser of what the client sends.
struct FakePeer {
  fern::net::Socket socket;
  fern::amqp::FrameParser parser{0};
};

class FakeBroker {
 public:
  using Script = std::function<void(FakePeer&)>;
  explicit FakeBroker(Script script);
  FakeBroker(const FakeBroker&) = delete;
  FakeBroker& operator=(const FakeBroker&) = delete;
  ~FakeBroker();

  std::uint16_t port() const { return port_; }
  fern::amqp::Options options() const;

  // The broker's side of the handshake: reads the protocol header, start-ok, tune-ok and open,
  // answering start, tune (with `heartbeat`) and open-ok.
  static void handshake(FakePeer& peer, std::uint16_t heartbeat = 0);
  // Reads one frame's method (skipping other frames); nullopt at end of stream.
  static std::optional<fern::amqp::Method> read_method(FakePeer& peer, std::uint16_t* channel = nullptr);
  static void send_method(FakePeer& peer, std::uint16_t channel, const fern::amqp::Method& m);

 private:
  fern::net::Socket listener_;
  std::uint16_t port_ = 0;
  fern::GreenletRef<> acceptor_;
  std::vector<fern::GreenletRef<>> sessions_;
};

}  // namespace fern_amqp_test
