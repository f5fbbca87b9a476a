// The seed servers (L4-L11) driven by loopback clients: each lesson starts the example server,
// runs greenlet clients against it, and prints what came back beside the server's own log.
#include "server_lessons.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "tour_net.hpp"

using namespace std::chrono_literals;

namespace tour {
namespace {

double seconds_since(fern::TimePoint t0) {
  return std::chrono::duration<double>(fern::Clock::now() - t0).count();
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// `clients` greenlets each send `message` and expect `expect(message)` back; returns how many did.
template <class Expect>
int exchange_many(int port, int clients, const std::string& message, Expect expect) {
  std::vector<fern::GreenletRef<bool>> gs;
  for (int i = 0; i < clients; ++i) {
    gs.push_back(fern::spawn([=] {
      std::string msg = message + std::to_string(i);
      int fd = connect_local(port);
      send_all(fd, msg);
      std::string want = expect(msg);
      bool ok = recv_exact(fd, want.size()) == want;
      close_socket(fd);
      return ok;
    }));
  }
  int ok = 0;
  for (auto& g : gs) {
    try {
      ok += g.get();
    } catch (const std::exception& e) {
      std::printf("    client failed: %s\n", e.what());
    }
  }
  return ok;
}

int echo_lesson(const char* binary, int clients, std::size_t size) {
  int port = free_port();
  ServerProcess server(binary, {"--port", std::to_string(port)});
  auto t0 = fern::Clock::now();
  std::string payload(size, 'x');
  int ok = exchange_many(port, clients, payload, [](const std::string& m) { return m; });
  std::printf("    %d/%d clients got their %zu-byte message echoed back, concurrently, in %.3f s\n", ok,
              clients, size, seconds_since(t0));
  server.stop();
  return ok == clients ? 0 : 1;
}

int lesson_l4() {
  std::printf("    the asynchronous model: io_uring completions drive accept, recv and send\n");
  return echo_lesson("io_models/uring_echo", 20, 64 * 1024);
}

int lesson_l5() { return echo_lesson("io_models/epoll_et_echo", 20, 1 << 20); }

int lesson_l6() {
  int port = free_port();
  ServerProcess server("io_models/select_upper", {"--port", std::to_string(port)});
  int ok = exchange_many(port, 10, "hello from client ", [](const std::string& m) { return upper(m); });
  std::printf("    %d/10 clients served at once by one select() loop, replies upper-cased\n", ok);
  server.stop();
  return ok == 10 ? 0 : 1;
}

int lesson_l7() {
  int port = free_port();
  ServerProcess server("io_models/blocking_echo", {"--port", std::to_string(port)});
  auto t0 = fern::Clock::now();
  int first = connect_local(port);
  send_all(first, "first");
  recv_exact(first, 5);
  auto second = fern::spawn([&] {
    int fd = connect_local(port);
    send_all(fd, "second");
    recv_exact(fd, 6);
    close_socket(fd);
    return seconds_since(t0);
  });
  fern::sleep(300ms);  // the first client lingers; the second one is stuck behind it
  std::printf("    first client leaves after %.3f s\n", seconds_since(t0));
  close_socket(first);
  double served = second.get();
  std::printf("    second client served only at %.3f s: one client at a time\n", served);
  server.stop();
  return served >= 0.3 ? 0 : 1;
}

int lesson_l8() {
  int port = free_port();
  ServerProcess server("io_models/nonblocking_poll_echo", {"--port", std::to_string(port)});
  int ok = exchange_many(port, 5, "poll me ", [](const std::string& m) { return m; });
  fern::sleep(500ms);  // idle: the server keeps spinning over accept/recv
  std::printf("    %d/5 served; the server's own report of the CPU it burned follows\n", ok);
  server.stop();
  return ok == 5 ? 0 : 1;
}

int lesson_l9() {
  int p1 = free_port(), p2 = free_port();
  ServerProcess server("io_models/select_two_ports",
                       {"--port", std::to_string(p1), "--port2", std::to_string(p2)});
  auto greet_and_echo = [](int port) {
    std::string greeting = "i am server on port " + std::to_string(port) + "\n";
    return exchange_many(port, 3, "", [greeting](const std::string& m) { return greeting + m; });
  };
  int ok1 = greet_and_echo(p1), ok2 = greet_and_echo(p2);
  std::printf("    both ports served by one thread: %d/3 greeted and echoed on %d, %d/3 on %d\n", ok1, p1,
              ok2, p2);
  server.stop();
  return ok1 == 3 && ok2 == 3 ? 0 : 1;
}

int lesson_l10() {
  int port = free_port();
  ServerProcess server("io_models/chat", {"--port", std::to_string(port)}, true);
  int fd = connect_local(port);
  send_all(fd, "hello operator\n");
  fern::sleep(200ms);
  std::string answer = "hello client, the operator speaks\n";
  server.write_stdin(answer);  // the operator types an answer
  std::string got = recv_exact(fd, answer.size());
  std::printf("    client received the operator's line: %s", got.c_str());
  close_socket(fd);
  server.stop();
  return got == answer ? 0 : 1;
}

int lesson_l11() {
  int port = free_port();
  ServerProcess server("io_models/selectors_callback", {"--port", std::to_string(port)});
  int ok = exchange_many(port, 10, "callback ", [](const std::string& m) { return upper(m) + "_SB"; });
  std::printf("    %d/10 clients got upper()+\"_SB\" from accept/read callbacks on DefaultSelector (epoll)\n",
              ok);
  server.stop();
  return ok == 10 ? 0 : 1;
}

}  // namespace

std::vector<Lesson> server_lessons() {
  return {
      {"L4", "the five I/O models; the asynchronous one is io_uring",
       "submissions and completions instead of readiness: the kernel does the I/O and reports when done "
       "(docs/design/io_models.md compares all five)",
       &lesson_l4},
      {"L5", "epoll echo server, edge-triggered, draining to EAGAIN",
       "one thread echoes 1 MiB messages to 20 clients at once, flipping EPOLLIN/EPOLLOUT as output backs up",
       &lesson_l5},
      {"L6", "select() server with read/write lists and per-connection queues",
       "N clients at once, replies upper-cased, disconnects removed", &lesson_l6},
      {"L7", "blocking echo server", "costs nothing to write, serves one client at a time: the second waits",
       &lesson_l7},
      {"L8", "non-blocking server polling accept/recv in a loop", "it works, and burns a CPU doing nothing",
       &lesson_l8},
      {"L9", "select() over two listening sockets", "one thread serves ports A and B", &lesson_l9},
      {"L10", "chat (talk) server on select()", "the operator's stdin answers the client", &lesson_l10},
      {"L11", "selectors.DefaultSelector server with accept/read callbacks",
       "callback dispatch on the selector's key data; picks epoll on Linux", &lesson_l11},
  };
}

}  // namespace tour
