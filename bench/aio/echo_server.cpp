// The echo server of bench/echo written with fern::aio tasks instead of greenlets: one task per
// connection (recv what arrived, send it back), one task accepting. Same syscalls as
// examples/echo_server.cpp (try first, suspend only on EAGAIN), so the two compare the cost of a
// task against a greenlet.
//
//   bench_aio_echo_server [--port N] [--driver epoll|uring|poll|select] [--seconds S]
//
// --port 0 picks a free port, printed as "listening on 127.0.0.1:N". Stops after S seconds
// (default: one hour) by closing the listener.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <system_error>

#include "fern/aio/fd.hpp"
#include "fern/aio/sleep.hpp"
#include "fern/aio/spawn.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/io_wait.hpp"

namespace {

constexpr std::size_t kBufferSize = 64 * 1024;

fern::aio::Task<void> serve(int fd) {
  auto buffer = std::make_unique_for_overwrite<char[]>(kBufferSize);  // untouched until data arrives
  try {
    for (;;) {
      std::size_t n = co_await fern::aio::sock_recv(fd, buffer.get(), kBufferSize);
      if (n == 0) break;
      co_await fern::aio::sock_sendall(fd, buffer.get(), n);
    }
  } catch (const std::system_error&) {
    // reset by the peer, or closed under us: this client is done
  }
  fern::close_fd(fd);
}

fern::aio::Task<void> accept_until_closed(int listen_fd) {
  for (;;) {
    int fd;
    try {
      fd = co_await fern::aio::sock_accept(listen_fd);
    } catch (const std::system_error& e) {
      if (e.code() == fern::make_error_code(fern::Errc::closed)) co_return;
      throw;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fern::aio::spawn(serve(fd));
  }
}

fern::aio::Task<void> stop_later(int listen_fd, fern::Duration after) {
  co_await fern::aio::sleep(after);
  fern::close_fd(listen_fd);
}

int listen_on(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, SOMAXCONN) != 0)
    throw std::system_error(errno, std::generic_category(), "bind/listen");
  fern::adopt_fd(fd);
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 8007;
  long seconds = 3600;
  fern::DriverKind driver = fern::default_driver_kind();
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--port")) {
      port = std::atoi(argv[i + 1]);
    } else if (!std::strcmp(argv[i], "--seconds")) {
      seconds = std::atol(argv[i + 1]);
    } else if (!std::strcmp(argv[i], "--driver")) {
      std::string name = argv[i + 1];
      driver = name == "uring"    ? fern::DriverKind::uring
               : name == "poll"   ? fern::DriverKind::poll
               : name == "select" ? fern::DriverKind::select
                                  : fern::DriverKind::epoll;
    } else {
      std::fprintf(stderr, "usage: %s [--port N] [--driver KIND] [--seconds S]\n", argv[0]);
      return 2;
    }
  }
  fern::Hub::install(driver);
  int listen_fd = listen_on(port);
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::printf("listening on 127.0.0.1:%d (aio, driver %s)\n", ntohs(addr.sin_port),
              std::string(fern::to_string(driver)).c_str());
  std::fflush(stdout);
  auto stopper = fern::aio::spawn(stop_later(listen_fd, std::chrono::seconds(seconds > 0 ? seconds : 3600)));
  fern::aio::run(accept_until_closed(listen_fd));
  return 0;
}
