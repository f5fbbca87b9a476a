// L8, non-blocking I/O polled in a loop: the seed's second server. Every socket is non-blocking, and
// one thread asks each of them in turn "anything for me?" (accept, recv), treating EAGAIN as "not
// yet". It serves many clients without threads, but it never sleeps: the CPU spins at 100% even
// when nobody talks. It prints its CPU time (getrusage) every second and at exit to show that cost.
// --idle-sleep-us N sleeps after a pass that found nothing (the seed's time.sleep(2) variant): less
// CPU, but every reply may wait up to N microseconds longer.
//
//   nonblocking_poll_echo --port N [--max-clients N] [--seconds S] [--idle-sleep-us N]
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "server_common.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Connection {
  int fd;
  long id;
  std::string peer;
  std::string output;  // received, not yet echoed
  long long echoed = 0;
  const char* ending = nullptr;  // set when the connection is over
};

struct Counters {
  long long passes = 0;
  long long would_block = 0;  // EAGAIN answers: the questions that found nothing
};

double seconds_of(const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; }

void report_cpu(const char* when, Clock::time_point since, const Counters& counters, std::size_t clients) {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const double wall = std::chrono::duration<double>(Clock::now() - since).count();
  const double user = seconds_of(usage.ru_utime), sys = seconds_of(usage.ru_stime);
  std::printf(
      "L8 cpu (%s): user %.2f s + sys %.2f s in %.2f s wall = %.0f%% of a core; %zu clients, %lld polling "
      "passes, %lld would-block answers\n",
      when, user, sys, wall, wall > 0 ? 100.0 * (user + sys) / wall : 0.0, clients, counters.passes,
      counters.would_block);
}

// Asks the listener for new clients until it says EAGAIN.
bool poll_accept(int listener, std::vector<Connection>& connections, long& accepted, Counters& counters,
                 const io_models::Options& options) {
  bool progress = false;
  while (options.max_clients == 0 || accepted < options.max_clients) {
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        ++counters.would_block;
      else if (errno != EINTR)
        std::printf("accept failed: %s\n", std::strerror(errno));
      break;
    }
    connections.push_back({fd, ++accepted, io_models::peer_name(fd), {}});
    std::printf("client #%ld %s connected (%zu clients)\n", accepted, connections.back().peer.c_str(),
                connections.size());
    progress = true;
  }
  return progress;
}

// One question to one client: recv what is there, send what is owed.
bool poll_connection(Connection& c, Counters& counters) {
  bool progress = false;
  if (c.output.size() < io_models::kMaxPendingOutput) {
    char buffer[64 * 1024];
    const ssize_t n = ::recv(c.fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      c.output.append(buffer, static_cast<std::size_t>(n));
      progress = true;
    } else if (n == 0) {
      c.ending = "closed";
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      ++counters.would_block;
    } else if (errno != EINTR) {
      c.ending = std::strerror(errno);
    }
  }
  if (!c.ending && !c.output.empty()) {
    const ssize_t n = ::send(c.fd, c.output.data(), c.output.size(), MSG_NOSIGNAL);
    if (n > 0) {
      c.output.erase(0, static_cast<std::size_t>(n));
      c.echoed += n;
      progress = true;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      ++counters.would_block;
    } else if (errno != EINTR) {
      c.ending = std::strerror(errno);
    }
  }
  return progress;
}

void drop_finished(std::vector<Connection>& connections) {
  std::erase_if(connections, [](const Connection& c) {
    if (!c.ending) return false;
    std::printf("client #%ld %s %s after %lld bytes echoed\n", c.id, c.peer.c_str(), c.ending, c.echoed);
    ::close(c.fd);
    return true;
  });
}

}  // namespace

int main(int argc, char** argv) {
  const io_models::Options options = io_models::parse_options(argc, argv, " [--idle-sleep-us N]");
  io_models::install_stop_handlers(options);
  const int listener = io_models::listen_tcp(options.port, /*nonblocking=*/true);
  std::printf("L8 non-blocking polling echo listening on 127.0.0.1:%d (busy loop over accept/recv; %s)\n",
              options.port, options.idle_sleep_us > 0 ? "sleeps when idle" : "never sleeps");

  std::vector<Connection> connections;
  Counters counters;
  long accepted = 0;
  const Clock::time_point start = Clock::now();
  Clock::time_point next_report = start + std::chrono::seconds(1);
  while (!io_models::stop_requested()) {
    bool progress = poll_accept(listener, connections, accepted, counters, options);
    for (Connection& c : connections) progress |= poll_connection(c, counters);
    drop_finished(connections);
    ++counters.passes;
    if (options.max_clients > 0 && accepted >= options.max_clients && connections.empty()) break;
    if (Clock::now() >= next_report) {
      report_cpu("so far", start, counters, connections.size());
      next_report += std::chrono::seconds(1);
    }
    if (!progress && options.idle_sleep_us > 0) ::usleep(static_cast<useconds_t>(options.idle_sleep_us));
  }
  for (Connection& c : connections) ::close(c.fd);
  ::close(listener);
  report_cpu("at exit", start, counters, connections.size());
  std::printf("L8 non-blocking polling echo: served %ld clients, exiting\n", accepted);
  return 0;
}
