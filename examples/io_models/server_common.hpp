// What every I/O-model server shares: the command line, a loopback listening socket, and stopping on
// SIGINT/SIGTERM or after --seconds. Plain POSIX on purpose: each server shows one I/O model, so the
// plumbing stays out of the way and is the same for all of them.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace io_models {

struct Options {
  int port = 8080;
  int port2 = 8081;                  // select_two_ports only
  long max_clients = 0;              // > 0: accept this many clients, exit when the last one leaves
  double seconds = 0;                // > 0: exit after this long
  std::string selector = "default";  // selectors_callback only
  long idle_sleep_us = 0;            // nonblocking_poll_echo only
  bool multishot = true;             // uring_echo only
};

[[noreturn]] inline void usage(const char* program, const char* extra) {
  std::fprintf(stderr, "usage: %s --port N [--max-clients N] [--seconds S]%s\n", program, extra);
  std::exit(2);
}

inline long parse_number(const char* program, const char* flag, const char* text, const char* extra) {
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < 0) {
    std::fprintf(stderr, "%s: %s wants a non-negative integer, got \"%s\"\n", program, flag, text);
    usage(program, extra);
  }
  return value;
}

// Parses the flags every server understands; `extra` lists the server's own flags for the usage line.
inline Options parse_options(int argc, char** argv, const char* extra = "") {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--no-multishot") {
      options.multishot = false;
      continue;
    }
    if (i + 1 >= argc) usage(argv[0], extra);
    const char* value = argv[++i];
    if (flag == "--port") {
      options.port = static_cast<int>(parse_number(argv[0], "--port", value, extra));
    } else if (flag == "--port2") {
      options.port2 = static_cast<int>(parse_number(argv[0], "--port2", value, extra));
    } else if (flag == "--max-clients") {
      options.max_clients = parse_number(argv[0], "--max-clients", value, extra);
    } else if (flag == "--seconds") {
      options.seconds = static_cast<double>(parse_number(argv[0], "--seconds", value, extra));
    } else if (flag == "--selector") {
      options.selector = value;
    } else if (flag == "--idle-sleep-us") {
      options.idle_sleep_us = parse_number(argv[0], "--idle-sleep-us", value, extra);
    } else {
      std::fprintf(stderr, "%s: unknown flag %s\n", argv[0], argv[i - 1]);
      usage(argv[0], extra);
    }
  }
  if (options.port <= 0 || options.port > 65535 || options.port2 <= 0 || options.port2 > 65535) {
    std::fprintf(stderr, "%s: ports must be in 1..65535\n", argv[0]);
    usage(argv[0], extra);
  }
  return options;
}

// Set by SIGINT, SIGTERM and the --seconds alarm. The handlers are installed without SA_RESTART, so a
// server blocked in accept/recv/select/epoll_wait/io_uring_enter wakes with EINTR and sees it.
inline volatile std::sig_atomic_t g_stop = 0;
inline bool stop_requested() { return g_stop != 0; }

// For loops whose wait retries EINTR (fern::selectors does, as Python's does since PEP 475): the
// handler also writes a byte here, so a loop that watches the other end wakes up (Python's
// signal.set_wakeup_fd, the self-pipe trick).
inline volatile int g_wakeup_fd = -1;

extern "C" inline void request_stop(int) {
  const int saved_errno = errno;
  g_stop = 1;
  if (g_wakeup_fd >= 0) {
    const char byte = 1;
    [[maybe_unused]] const ssize_t ignored = ::write(g_wakeup_fd, &byte, 1);
  }
  errno = saved_errno;
}

inline void install_stop_handlers(const Options& options) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // one line at a time, also into a pipe or a file
  struct sigaction action {};
  action.sa_handler = request_stop;
  sigemptyset(&action.sa_mask);
  for (int signal_number : {SIGINT, SIGTERM, SIGALRM}) ::sigaction(signal_number, &action, nullptr);
  ::signal(SIGPIPE, SIG_IGN);  // a peer that vanished is an EPIPE, not a dead server
  if (options.seconds > 0) {
    itimerval timer{};
    timer.it_value.tv_sec = static_cast<time_t>(options.seconds);
    ::setitimer(ITIMER_REAL, &timer, nullptr);
  }
}

[[noreturn]] inline void die(const char* what) {
  std::fprintf(stderr, "%s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

inline void set_nonblocking(int fd) {
  if (::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) die("fcntl(O_NONBLOCK)");
}

// A TCP socket listening on 127.0.0.1:port (exits the program on failure: a server without its port
// has nothing to show).
inline int listen_tcp(int port, bool nonblocking) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) die("socket");
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0) die("bind");
  if (::listen(fd, SOMAXCONN) < 0) die("listen");
  return fd;
}

// "127.0.0.1:54321" for the peer of a connected socket.
inline std::string peer_name(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) < 0) return "?";
  char text[INET_ADDRSTRLEN] = "?";
  ::inet_ntop(AF_INET, &address.sin_addr, text, sizeof text);
  return std::string(text) + ":" + std::to_string(ntohs(address.sin_port));
}

inline void upper_case(std::string& bytes) {
  for (char& c : bytes) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
}

// Sends everything on a blocking socket; false when the peer is gone (or a stop signal interrupted).
inline bool send_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR && !stop_requested()) continue;
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// Bytes a multiplexing server queues for one peer before it stops reading from that peer: a client
// that sends without reading its replies slows itself down instead of growing the server.
inline constexpr std::size_t kMaxPendingOutput = 1 << 20;

}  // namespace io_models
