// echo_server: a TCP echo server written the greenlet way. Every connection gets its own greenlet
// running plain sequential code (read what arrived, write it back, repeat); the main greenlet
// accepts. When a socket is not ready, the greenlet parks in fern::wait_readable/wait_writable and
// the hub runs the others, so one thread serves thousands of clients without a single callback.
//
// fern::net::Socket tries the system call first and parks only on EAGAIN, so a connection whose data
// is already there costs one recv and one send per message.
//
//   echo_server [--port N] [--driver epoll|uring|poll|select] [--idle-timeout S] [--seconds S]
//
// --port 0 picks a free port; the chosen one is printed on stdout ("listening on 127.0.0.1:N").
// --idle-timeout drops a client that sends nothing for S seconds (default: never). --seconds stops
// after S seconds (default: until SIGINT or SIGTERM). Stopping closes the listening socket, which
// wakes the accepting greenlet; the hub then unwinds every connection's greenlet on the way out.
// bench/echo measures this program.
#include <signal.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "fern/base/clock.hpp"
#include "fern/base/error.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/io_wait.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/net/socket.hpp"
#include "fern/process/signal.hpp"

namespace {

struct Options {
  int port = 8007;
  fern::DriverKind driver = fern::DriverKind::epoll;
  fern::Duration idle_timeout = fern::kForever;
  unsigned seconds = 0;
};

// 64 KiB per read: large enough that a stream is moved in few system calls. It lives on the heap,
// not the greenlet's stack, so the server also runs with small dense stacks (FERN_STACK_MODE=dense).
constexpr std::size_t kBufferSize = 64 * 1024;

[[noreturn]] void usage(const char* program) {
  std::fprintf(stderr,
               "usage: %s [--port N] [--driver epoll|uring|poll|select] [--idle-timeout S] [--seconds S]\n",
               program);
  std::exit(2);
}

long parse_count(const char* program, std::string_view flag, const char* text, long max) {
  char* end = nullptr;
  errno = 0;
  long value = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < 0 || value > max) {
    std::fprintf(stderr, "%s: %.*s wants an integer from 0 to %ld, got \"%s\"\n", program,
                 static_cast<int>(flag.size()), flag.data(), max, text);
    usage(program);
  }
  return value;
}

fern::DriverKind parse_driver(const char* program, std::string_view name) {
  for (auto kind :
       {fern::DriverKind::epoll, fern::DriverKind::uring, fern::DriverKind::poll, fern::DriverKind::select}) {
    if (fern::to_string(kind) == name) return kind;
  }
  std::fprintf(stderr, "%s: unknown driver \"%.*s\" (epoll, uring, poll or select)\n", program,
               static_cast<int>(name.size()), name.data());
  usage(program);
}

Options parse_options(int argc, char** argv) {
  Options options;
  options.driver = fern::default_driver_kind();
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "-h" || flag == "--help") usage(argv[0]);
    if (i + 1 >= argc) usage(argv[0]);
    const char* value = argv[++i];
    if (flag == "--port") {
      options.port = static_cast<int>(parse_count(argv[0], flag, value, 65535));
    } else if (flag == "--driver") {
      options.driver = parse_driver(argv[0], value);
    } else if (flag == "--idle-timeout") {
      long s = parse_count(argv[0], flag, value, 86400);
      if (s > 0) options.idle_timeout = std::chrono::seconds(s);
    } else if (flag == "--seconds") {
      options.seconds = static_cast<unsigned>(parse_count(argv[0], flag, value, 86400));
    } else {
      std::fprintf(stderr, "%s: unknown flag %s\n", argv[0], argv[i - 1]);
      usage(argv[0]);
    }
  }
  return options;
}

// One connection's whole life, as sequential code: read what arrived, write it back, repeat.
void serve(fern::net::Socket client, fern::Duration idle_timeout) {
  // A connection that has sent nothing yet holds no buffer: it is allocated once the first bytes
  // are there, so ten thousand idle clients cost only their greenlets and sockets.
  if (fern::wait_fd(client.fd(), fern::io_events::readable, fern::deadline_after(idle_timeout))) return;
  // Not value-initialised: zeroing would touch (and keep resident) all 64 KiB of every connection's
  // buffer, where the kernel only writes the bytes that arrive.
  auto buffer = std::make_unique_for_overwrite<char[]>(kBufferSize);
  client.set_timeout(idle_timeout);
  std::error_code ec;
  for (;;) {
    std::size_t n = client.recv(buffer.get(), kBufferSize, ec);
    if (ec || n == 0) return;  // idle too long, reset, or the client closed its side
    std::size_t sent = 0;
    while (sent < n) {
      sent += client.send(buffer.get() + sent, n - sent, ec);
      if (ec) return;
    }
  }
}

bool is_closed(const std::error_code& ec) { return ec == fern::make_error_code(fern::Errc::closed); }

// The main greenlet's loop: accept, spawn a greenlet per connection. Returns when the listening
// socket is closed under it (see stop_later).
void accept_until_closed(fern::net::Socket& listener, fern::Duration idle_timeout) {
  for (;;) {
    std::error_code ec;
    fern::net::Socket client = listener.accept(nullptr, ec);
    if (!ec) {
      client.set_nodelay();  // replies go out at once, never held back by Nagle's algorithm
      fern::spawn(serve, std::move(client), idle_timeout);
    } else if (is_closed(ec)) {
      return;
    } else if (ec == std::errc::too_many_files_open || ec == std::errc::too_many_files_open_in_system) {
      // Out of descriptors: let connections finish rather than spin on accept.
      std::fprintf(stderr, "accept: %s\n", ec.message().c_str());
      fern::sleep(std::chrono::milliseconds(100));
    } else if (ec != std::errc::connection_aborted) {
      throw std::system_error(ec, "accept");
    }
  }
}

// Waits for SIGINT, SIGTERM or for `run_for` to pass, then closes the listener, which ends the
// accept loop. The signals come through the hub (fern::wait_signal), so only this greenlet waits.
void stop_later(fern::net::Socket& listener, fern::Duration run_for) {
  try {
    fern::wait_signal({SIGINT, SIGTERM}, run_for);
  } catch (const std::system_error&) {
    // The time is up.
  }
  listener.close();
}

}  // namespace

int main(int argc, char** argv) {
  Options options = parse_options(argc, argv);
  try {
    fern::Hub::install(options.driver);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: the %s driver is unavailable: %s\n", argv[0],
                 std::string(fern::to_string(options.driver)).c_str(), e.what());
    return 3;
  }
  try {
    fern::net::Socket listener =
        fern::net::listen_tcp(fern::net::Address::ipv4_loopback(static_cast<std::uint16_t>(options.port)));
    fern::Duration run_for = options.seconds > 0 ? std::chrono::seconds(options.seconds) : fern::kForever;
    fern::spawn(stop_later, std::ref(listener), run_for);
    fern::yield();  // stop_later watches SIGINT and SIGTERM before anyone learns the port
    std::printf("listening on 127.0.0.1:%d (driver %s)\n", listener.local_address().port(),
                std::string(fern::to_string(options.driver)).c_str());
    std::fflush(stdout);
    accept_until_closed(listener, options.idle_timeout);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 1;
  }
  return 0;  // connections still open are closed as the hub unwinds their greenlets
}
