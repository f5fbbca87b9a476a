// L7, blocking I/O: the seed's first server. accept() blocks until a client arrives, then recv()
// blocks until that client sends; while one client is served, the next one waits in the listen
// backlog (its connect() succeeded, nobody reads it) until the first leaves.
//
//   blocking_echo --port N [--max-clients N] [--seconds S]
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "server_common.hpp"

namespace {

// Echoes until the client leaves; returns the byte count (negative errno if it ended on an error).
long long serve_client(int fd) {
  char buffer[64 * 1024];
  long long total = 0;
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n == 0) return total;
    if (n < 0) {
      if (errno == EINTR && !io_models::stop_requested()) continue;
      return -errno;
    }
    if (!io_models::send_all(fd, buffer, static_cast<std::size_t>(n))) return -errno;
    total += n;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const io_models::Options options = io_models::parse_options(argc, argv);
  io_models::install_stop_handlers(options);
  const int listener = io_models::listen_tcp(options.port, /*nonblocking=*/false);
  std::printf(
      "L7 blocking echo listening on 127.0.0.1:%d (one client at a time; the next waits in the backlog)\n",
      options.port);

  long served = 0;
  while (!io_models::stop_requested()) {
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EINTR) std::printf("accept failed: %s\n", std::strerror(errno));
      continue;
    }
    ++served;
    const std::string peer = io_models::peer_name(fd);
    std::printf("client #%ld %s connected; every other client waits\n", served, peer.c_str());
    const long long result = serve_client(fd);
    ::close(fd);
    if (result >= 0) {
      std::printf("client #%ld %s closed after %lld bytes echoed\n", served, peer.c_str(), result);
    } else {
      std::printf("client #%ld %s dropped: %s\n", served, peer.c_str(),
                  std::strerror(static_cast<int>(-result)));
    }
    if (options.max_clients > 0 && served >= options.max_clients) break;
  }
  ::close(listener);
  std::printf("L7 blocking echo: served %ld clients, exiting\n", served);
  return 0;
}
