// http_hello: the smallest useful fern::http::Server, and the server bench/http measures: every
// request gets "hello" (text/plain), on keep-alive and pipelined connections alike.
//
//   http_hello [PORT] [--port N] [--seconds S] [--driver epoll|uring|poll|select]
//
// Port 0 picks a free one; the chosen port is printed ("listening on 127.0.0.1:N"). --seconds
// stops after S seconds (default: until SIGINT or SIGTERM), with a graceful stop of one second.
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "fern/http/server.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/net/address.hpp"
#include "fern/process/signal.hpp"

namespace {

struct Options {
  int port = 8080;
  unsigned seconds = 0;
  fern::DriverKind driver = fern::default_driver_kind();
};

[[noreturn]] void usage(const char* program) {
  std::fprintf(stderr, "usage: %s [PORT] [--port N] [--seconds S] [--driver epoll|uring|poll|select]\n",
               program);
  std::exit(2);
}

long parse_number(const char* program, const char* text, long max) {
  char* end = nullptr;
  errno = 0;
  long value = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < 0 || value > max) {
    std::fprintf(stderr, "%s: expected an integer from 0 to %ld, got \"%s\"\n", program, max, text);
    usage(program);
  }
  return value;
}

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") usage(argv[0]);
    if (arg[0] != '-') {
      options.port = static_cast<int>(parse_number(argv[0], argv[i], 65535));
      continue;
    }
    if (i + 1 >= argc) usage(argv[0]);
    const char* value = argv[++i];
    if (arg == "--port") {
      options.port = static_cast<int>(parse_number(argv[0], value, 65535));
    } else if (arg == "--seconds") {
      options.seconds = static_cast<unsigned>(parse_number(argv[0], value, 86400));
    } else if (arg == "--driver") {
      bool known = false;
      for (auto kind : {fern::DriverKind::epoll, fern::DriverKind::uring, fern::DriverKind::poll,
                        fern::DriverKind::select}) {
        if (fern::to_string(kind) == value) options.driver = kind, known = true;
      }
      if (!known) usage(argv[0]);
    } else {
      usage(argv[0]);
    }
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  Options options = parse_options(argc, argv);
  try {
    fern::Hub::install(options.driver);
    fern::http::Server server(
        fern::net::Address::ipv4_loopback(static_cast<std::uint16_t>(options.port)),
        [](fern::http::ServerRequest&) { return fern::http::ServerResponse::text("hello"); });
    // A graceful stop, in a greenlet of its own, on SIGINT, SIGTERM or when the time is up;
    // serve_forever returns once it is done.
    auto stop = [&server] { server.stop(std::chrono::seconds(1)); };
    fern::SignalHandler on_interrupt = fern::signal_handler(SIGINT, [&](int) { stop(); });
    fern::SignalHandler on_terminate = fern::signal_handler(SIGTERM, [&](int) { stop(); });
    if (options.seconds > 0) fern::spawn_later(std::chrono::seconds(options.seconds), stop);
    server.start();
    std::printf("listening on 127.0.0.1:%d\n", server.port());
    std::fflush(stdout);
    server.serve_forever();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 1;
  }
  return 0;
}
