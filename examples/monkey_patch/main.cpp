// monkey_patch: unmodified blocking code made cooperative. fetch() below is ordinary blocking
// POSIX code -- getaddrinfo, socket, connect, write, read, sleep -- the kind a C library contains.
// After fern::monkey::patch_all() ten greenlets run it at once in this one thread: each blocking
// call parks only its greenlet. A tiny server in the same thread answers after 200 ms, so ten
// sequential fetches would take two seconds; together they take about 200 ms.
//
//   ./monkey_patch            # patched: ~0.2 s
//   ./monkey_patch --blocking # not patched: the same code blocks the thread, ~2 s
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <fern/hook/monkey.hpp>
#include <fern/hub/spawn.hpp>

namespace {

// Plain blocking code: no fern in here.
std::string fetch(const char* port) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo("127.0.0.1", port, &hints, &res) != 0) return "resolve failed";
  int fd = socket(res->ai_family, res->ai_socktype, 0);
  int rc = connect(fd, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (rc != 0) return "connect failed";
  if (write(fd, "time?\n", 6) != 6) return "write failed";
  char buf[64] = {};
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  usleep(1000);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "read failed";
}

// A slow server, as blocking code in its own thread: it answers each connection after 200 ms.
int start_slow_server() {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  bind(listener, reinterpret_cast<sockaddr*>(&addr), len);
  listen(listener, 64);
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::thread([listener] {
    for (;;) {
      int fd = accept(listener, nullptr, nullptr);
      if (fd < 0) return;
      std::thread([fd] {
        char buf[64];
        if (read(fd, buf, sizeof buf) > 0) {
          usleep(200000);
          (void)!write(fd, "later\n", 6);
        }
        close(fd);
      }).detach();
    }
  }).detach();
  return ntohs(addr.sin_port);
}

}  // namespace

int main(int argc, char** argv) {
  const bool blocking = argc > 1 && std::strcmp(argv[1], "--blocking") == 0;
  const std::string port = std::to_string(start_slow_server());
  if (!blocking) fern::monkey::patch_all();

  auto start = std::chrono::steady_clock::now();
  std::vector<fern::GreenletRef<std::string>> fetches;
  for (int i = 0; i < 10; ++i) fetches.push_back(fern::spawn([&port] { return fetch(port.c_str()); }));
  for (auto& f : fetches) std::printf("%s", f.get().c_str());
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  std::printf("10 blocking fetches of a 200 ms server, %s: %lld ms\n", blocking ? "unpatched" : "patched",
              static_cast<long long>(ms.count()));
}
