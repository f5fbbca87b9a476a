// chat_queues: a chat server where greenlets talk through queues. Each client gets two greenlets:
// its reader puts every line it receives into the room's queue, and its writer takes lines from the
// client's own outbox queue and sends them. One broadcaster greenlet takes from the room and puts
// into every outbox, so a slow client only fills its own bounded outbox (and misses lines while it
// is full) instead of stalling the room.
//
//   chat_queues [--port N]   serve until Ctrl-C (try: nc 127.0.0.1 N, in two terminals)
//   chat_queues --demo       start the server and three clients in this process, print what each
//                            client saw, exit 0 when every client heard every goodbye
#include <csignal>
#include <cstdio>
#include <cstring>
#include <list>
#include <string>
#include <vector>

#include "fern/fern.hpp"

using namespace std::chrono_literals;

namespace {

constexpr std::size_t kOutboxSize = 64;

struct Member {
  std::string name;
  fern::Queue<std::string> outbox{kOutboxSize};
};

class Room {
 public:
  Room() : broadcaster_(fern::spawn([this] { broadcast(); })) {}
  ~Room() { broadcaster_->kill(); }

  void serve(fern::net::Socket connection, const fern::net::Address& peer) {
    fern::net::Stream stream(std::move(connection));
    Member& me = members_.emplace_back();
    me.name = peer.to_string();
    auto self = std::prev(members_.end());
    auto writer = fern::spawn([&] {
      for (;;) {
        stream.write(me.outbox.get());
        stream.flush();
      }
    });
    std::string line;
    while (!(line = stream.read_line()).empty()) room_.put(me.name + ": " + line);
    writer->kill();
    members_.erase(self);
  }

 private:
  void broadcast() {
    for (;;) {
      std::string line = room_.get();
      for (Member& m : members_) {
        // A client too slow to take its lines is not allowed to hold the room: it misses them.
        if (!m.outbox.try_put(line))
          std::fprintf(stderr, "chat: %s is not reading; dropped a line\n", m.name.c_str());
      }
    }
  }

  std::list<Member> members_;  // a list: a member's address stays valid while others come and go
  fern::Queue<std::string> room_;
  fern::GreenletRef<> broadcaster_;
};

// Three clients say hello, wait until all are in, say bye and read until they heard three byes.
int demo() {
  Room room;
  fern::net::StreamServer server(
      fern::net::Address::ipv4_loopback(0),
      [&](fern::net::Socket c, const fern::net::Address& p) { room.serve(std::move(c), p); });
  server.start();
  fern::Barrier all_in(3);
  std::vector<fern::GreenletRef<std::vector<std::string>>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(fern::spawn([&, i] {
      fern::net::Stream s(fern::net::create_connection("127.0.0.1", server.port(), 5s));
      const std::string hello = "hello from " + std::to_string(i) + "\n";
      s.write(hello);
      s.flush();
      std::vector<std::string> seen;
      // Our own hello coming back proves the room counts us; then wait for the others to be in.
      while (seen.empty() || seen.back().find(hello) == std::string::npos) {
        seen.push_back(s.read_line());
        if (seen.back().empty()) return seen;  // the server went away
      }
      all_in.wait(10s);
      s.write("bye from " + std::to_string(i) + "\n");
      s.flush();
      int byes = 0;
      while (byes < 3) {
        seen.push_back(s.read_line());
        if (seen.back().find("bye from") != std::string::npos) ++byes;
        if (seen.back().empty()) break;  // the server went away
      }
      return seen;
    }));
  }
  int failures = 0;
  for (int i = 0; i < 3; ++i) {
    std::vector<std::string> seen = clients[i].get();
    std::printf("client %d saw:\n", i);
    int byes = 0;
    for (const std::string& line : seen) {
      std::printf("  %s", line.c_str());
      if (line.find("bye from") != std::string::npos) ++byes;
    }
    if (byes != 3) ++failures;
  }
  server.stop(1s);
  std::printf(failures == 0 ? "every client heard every goodbye\n" : "some lines were lost\n");
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--demo") == 0) return demo();
  int port = 9000;
  if (argc > 2 && std::strcmp(argv[1], "--port") == 0) port = std::atoi(argv[2]);
  Room room;
  fern::net::StreamServer server(
      fern::net::Address::ipv4_loopback(static_cast<std::uint16_t>(port)),
      [&](fern::net::Socket c, const fern::net::Address& p) { room.serve(std::move(c), p); });
  auto stop = fern::signal_handler(SIGINT, [&](int) { server.stop(1s); });
  server.start();
  std::printf("chat on 127.0.0.1:%u\n", static_cast<unsigned>(server.port()));
  server.serve_forever();
}
