// echo_server: a TCP echo server written the greenlet way. Every connection gets its own greenlet
// running plain sequential code (read what arrived, write it back, repeat); the main greenlet
// accepts. When a socket is not ready, the greenlet parks in fern::wait_readable/wait_writable and
// the hub runs the others, so one thread serves thousands of clients without a single callback.
//
// fern has no Socket class yet, so this uses non-blocking POSIX sockets with fern's fd waits, the
// pattern a socket class wraps: try the system call first and park only on EAGAIN. Waiting first
// would cost a trip through the hub on every call even when data is already there.
//
//   echo_server [--port N] [--driver epoll|uring|poll|select] [--idle-timeout S] [--seconds S]
//
// --port 0 picks a free port; the chosen one is printed on stdout ("listening on 127.0.0.1:N").
// --idle-timeout drops a client that sends nothing for S seconds (default: never). --seconds stops
// after S seconds (default: until SIGINT or SIGTERM). Stopping closes the listening socket, which
// wakes the accepting greenlet; the hub then unwinds every connection's greenlet on the way out.
// bench/echo measures this program.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
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

// Owns a descriptor the hub knows about: close_fd wakes anything still waiting on it.
class Descriptor {
 public:
  explicit Descriptor(int fd) noexcept : fd_(fd) {}
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  ~Descriptor() {
    if (fd_ >= 0) fern::close_fd(fd_);
  }
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

bool would_block(int error) { return error == EAGAIN || error == EWOULDBLOCK; }

// Writes all of data[0, size); false when the peer is gone.
bool send_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n >= 0) {
      data += n;
      size -= static_cast<std::size_t>(n);
    } else if (would_block(errno)) {
      fern::wait_writable(fd);
    } else if (errno != EINTR) {
      return false;
    }
  }
  return true;
}

// One connection's whole life, as sequential code.
void serve(int fd, fern::Duration idle_timeout) {
  Descriptor client(fd);
  auto buffer = std::make_unique<char[]>(kBufferSize);
  try {
    for (;;) {
      ssize_t n = ::recv(fd, buffer.get(), kBufferSize, 0);
      if (n > 0) {
        if (!send_all(fd, buffer.get(), static_cast<std::size_t>(n))) return;
      } else if (n == 0) {
        return;  // the client closed its side
      } else if (would_block(errno)) {
        fern::wait_readable(fd, idle_timeout);
      } else if (errno != EINTR) {
        return;  // reset by the peer, or another error: this client is done
      }
    }
  } catch (const std::system_error&) {
    // Idle timeout (or the descriptor was closed under us): drop this client, keep serving others.
  }
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
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, SOMAXCONN) != 0) {
    int error = errno;
    ::close(fd);
    throw std::system_error(error, std::generic_category(),
                            "bind/listen on 127.0.0.1:" + std::to_string(port));
  }
  fern::adopt_fd(fd);
  return fd;
}

int bound_port(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

bool is_closed(const std::system_error& e) { return e.code() == fern::make_error_code(fern::Errc::closed); }

// The main greenlet's loop: accept everything that is pending, park when nothing is. Returns when
// the listening socket is closed under it (see stop_later).
void accept_until_closed(int listen_fd, fern::Duration idle_timeout) {
  for (;;) {
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      fern::adopt_fd(fd);
      int one = 1;  // replies go out at once, never held back by Nagle's algorithm
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      fern::spawn(serve, fd, idle_timeout);
    } else if (would_block(errno)) {
      try {
        fern::wait_readable(listen_fd);
      } catch (const std::system_error& e) {
        if (is_closed(e)) return;
        throw;
      }
    } else if (errno == EMFILE || errno == ENFILE) {
      // Out of descriptors: let connections finish rather than spin on accept.
      std::perror("accept4");
      fern::sleep(std::chrono::milliseconds(100));
    } else if (errno != EINTR && errno != ECONNABORTED) {
      throw std::system_error(errno, std::generic_category(), "accept4");
    }
  }
}

// SIGINT and SIGTERM as a readable descriptor, so a greenlet can wait for them like for a socket.
int signal_descriptor() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  if (::sigprocmask(SIG_BLOCK, &signals, nullptr) != 0)
    throw std::system_error(errno, std::generic_category(), "sigprocmask");
  int fd = ::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "signalfd");
  fern::adopt_fd(fd);
  return fd;
}

// Waits for a signal or for `run_for` to pass, then closes the listener, which ends the accept loop.
void stop_later(int listen_fd, int signal_fd, fern::Duration run_for) {
  try {
    fern::wait_readable(signal_fd, run_for);
  } catch (const std::system_error&) {
    // The time is up.
  }
  fern::close_fd(listen_fd);
  fern::close_fd(signal_fd);
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
    int signal_fd = signal_descriptor();
    int listen_fd = listen_on(options.port);
    std::printf("listening on 127.0.0.1:%d (driver %s)\n", bound_port(listen_fd),
                std::string(fern::to_string(options.driver)).c_str());
    std::fflush(stdout);
    fern::Duration run_for = options.seconds > 0 ? std::chrono::seconds(options.seconds) : fern::kForever;
    fern::spawn(stop_later, listen_fd, signal_fd, run_for);
    accept_until_closed(listen_fd, options.idle_timeout);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 1;
  }
  return 0;  // connections still open are closed as the hub unwinds their greenlets
}
