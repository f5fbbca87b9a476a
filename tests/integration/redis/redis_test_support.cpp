#include "redis_test_support.hpp"

#include <memory>
#include <optional>

#include "fern/clients/redis/proto/reply_parser.hpp"
#include "fern/net/address.hpp"

namespace fern_redis_test {

fern_test::RedisServer& shared_server() {
  static fern_test::RedisServer server;
  return server;
}

fern::redis::Options tcp_options(const fern_test::RedisServer& server, int protocol) {
  fern::redis::Options o;
  o.port = static_cast<std::uint16_t>(server.port());
  o.protocol = protocol;
  o.command_timeout = std::chrono::seconds(60);  // a hung test fails instead of hanging
  return o;
}

fern::redis::Options unix_options(const fern_test::RedisServer& server, int protocol) {
  fern::redis::Options o = tcp_options(server, protocol);
  o.unix_socket = server.unix_socket();
  return o;
}

void flush_shared_server() {
  std::string cmd = "redis-cli -p " + std::to_string(shared_server().port()) + " FLUSHALL > /dev/null";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("redis-cli FLUSHALL failed");
}

FakeServer::FakeServer(Script script) {
  listener_ = fern::net::listen_tcp(fern::net::Address::ipv4_loopback(0));
  port_ = listener_.local_address().port();
  acceptor_ = fern::spawn([this, script = std::move(script)] {
    for (;;) {
      std::error_code ec;
      fern::net::Socket peer = listener_.accept(nullptr, ec);
      if (ec) return;
      const int index = accepted_++;
      sessions_.push_back(
          fern::spawn([script, index](fern::net::Socket s) { script(s, index); }, std::move(peer)));
    }
  });
}

FakeServer::~FakeServer() {
  listener_.close();
  acceptor_->kill();
  for (auto& s : sessions_) s->kill();
}

fern::redis::Options FakeServer::options() const {
  fern::redis::Options o;
  o.port = port_;
  o.command_timeout = std::chrono::seconds(60);
  o.reconnect_backoff = std::chrono::milliseconds(1);
  return o;
}

std::vector<std::string> FakeServer::read_command(fern::net::Socket& peer, std::string& buffer) {
  // A command is an array of bulk strings: the reply parser reads it as well as any reply.
  for (;;) {
    fern::redis::ReplyParser parser;
    parser.feed(buffer);
    if (std::optional<fern::redis::Reply> command = parser.next()) {
      buffer.erase(0, parser.offset());
      std::vector<std::string> words;
      for (fern::redis::ReplyView w : command->elements()) words.emplace_back(w.as_string());
      return words;
    }
    char chunk[4096];
    std::error_code ec;
    std::size_t n = peer.recv(chunk, sizeof chunk, ec);
    if (ec || n == 0) return {};
    buffer.append(chunk, n);
  }
}

}  // namespace fern_redis_test
