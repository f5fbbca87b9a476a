/* storm_load: the load generator of bench/storm. N clients connect at once (non-blocking
 * connects issued back to back) and then ping-pong S-byte messages until D seconds have passed
 * since the first connect attempt. Every request's latency is kept; the first one of each client
 * is counted from its connect attempt, so a connection the server was slow to accept (or whose
 * SYN was dropped and resent a second later) shows in the tail.
 *
 *   storm_load --port P [--conns N] [--size S] [--seconds D] [--pid PID] [--idle]
 *
 * With --pid, the server's RSS (VmRSS) is read before the first connect, and at the end of the
 * run with every connection still open; its CPU time (schedstat) over the run too. --idle: the
 * clients only connect and then wait (no message) until D seconds have passed; the RSS read then
 * is that of N idle connections.
 *
 * Raises its descriptor limit to the hard limit. Prints one line of key=value pairs: latency
 * percentiles in ms (p50, p99, p999, max), requests, connect failures, RSS before and after (KiB),
 * the server's CPU seconds and the wall time of the run.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../lib/proc_stats.h"

enum { kMaxEvents = 1024, kMaxSize = 65536 };

struct conn {
  int fd;
  int connected;
  uint32_t got;
  double sent_at; /* the connect attempt for the first request */
};

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static double percentile(const double* sorted, size_t n, double p) {
  if (n == 0) return 0;
  size_t i = (size_t)(p * (double)(n - 1) + 0.5);
  return sorted[i < n ? i : n - 1];
}

int main(int argc, char** argv) {
  int port = 0, conns = 5000, pid = 0, idle = 0;
  size_t size = 512;
  double seconds = 4;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--idle")) {
      idle = 1;
      continue;
    }
    if (i + 1 >= argc) goto usage;
    const char* v = argv[++i];
    if (!strcmp(argv[i - 1], "--port"))
      port = atoi(v);
    else if (!strcmp(argv[i - 1], "--conns"))
      conns = atoi(v);
    else if (!strcmp(argv[i - 1], "--size"))
      size = (size_t)atol(v);
    else if (!strcmp(argv[i - 1], "--seconds"))
      seconds = atof(v);
    else if (!strcmp(argv[i - 1], "--pid"))
      pid = atoi(v);
    else
      goto usage;
  }
  if (port <= 0 || conns <= 0 || size == 0 || size > kMaxSize) goto usage;

  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  struct conn* cs = calloc((size_t)conns, sizeof *cs);
  size_t cap = 1 << 20, n_lat = 0;
  double* lat = malloc(cap * sizeof *lat);
  char* tx = malloc(size);
  char* rx = malloc(kMaxSize);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (!cs || !lat || !tx || !rx || ep < 0) {
    perror("storm_load");
    return 1;
  }
  memset(tx, 'x', size);
  long rss_before = pid ? rss_kib(pid) : -1;
  double cpu_before = pid ? sched_cpu_s(pid) : -1;

  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  long connect_failures = 0, resets = 0, connected = 0;
  int first_error = 0; /* errno of the first connect that failed, for the record */
  double t0 = now_s();
  /* The storm: every connect issued back to back. */
  for (int i = 0; i < conns; ++i) {
    struct conn* k = &cs[i];
    k->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (k->fd < 0) {
      ++connect_failures;
      continue;
    }
    int one = 1;
    setsockopt(k->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    k->sent_at = now_s();
    if (connect(k->fd, (struct sockaddr*)&addr, sizeof addr) != 0 && errno != EINPROGRESS) {
      if (!first_error) first_error = errno;
      ++connect_failures;
      close(k->fd);
      k->fd = -1;
      continue;
    }
    struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = (uint64_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, k->fd, &ev);
  }

  struct epoll_event events[kMaxEvents];
  double end = t0 + seconds;
  for (;;) {
    double now = now_s();
    if (now >= end) break;
    int ms = (int)((end - now) * 1e3) + 1;
    int n = epoll_wait(ep, events, kMaxEvents, ms < 10 ? ms : 10);
    for (int e = 0; e < n; ++e) {
      struct conn* k = &cs[events[e].data.u64];
      if (k->fd < 0) continue;
      if (!k->connected) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          if (!first_error) first_error = err;
          ++connect_failures;
          close(k->fd);
          k->fd = -1;
          continue;
        }
        k->connected = 1;
        ++connected;
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = events[e].data.u64};
        epoll_ctl(ep, EPOLL_CTL_MOD, k->fd, &ev);
        if (idle) continue;
        if (send(k->fd, tx, size, MSG_NOSIGNAL) != (ssize_t)size) goto lost;
        continue; /* sent_at stays the connect attempt: the first request includes the connect */
      }
      ssize_t got = recv(k->fd, rx, kMaxSize, 0);
      if (got < 0 && errno == EAGAIN) continue;
      if (got <= 0) goto lost;
      k->got += (uint32_t)got;
      if (k->got < size) continue;
      double done = now_s();
      if (n_lat == cap) {
        cap *= 2;
        double* grown = realloc(lat, cap * sizeof *lat);
        if (!grown) break;
        lat = grown;
      }
      lat[n_lat++] = done - k->sent_at;
      k->got = 0;
      k->sent_at = done;
      if (send(k->fd, tx, size, MSG_NOSIGNAL) != (ssize_t)size) goto lost;
      continue;
    lost:
      ++resets;
      close(k->fd);
      k->fd = -1;
    }
  }
  /* Every connection still open: what the server holds for N of them. */
  long rss_after = pid ? rss_kib(pid) : -1;
  double cpu_after = pid ? sched_cpu_s(pid) : -1;
  double wall = now_s() - t0;
  long unconnected = 0;
  /* Closed with a reset (linger 0): no TIME_WAIT left behind, so the next run, a second later, finds
   * its 5,000 local ports free again (the kernel reuses a TIME_WAIT port only once it is 1 s old). */
  struct linger abort_close = {.l_onoff = 1, .l_linger = 0};
  for (int i = 0; i < conns; ++i) {
    if (cs[i].fd < 0) continue;
    if (!cs[i].connected) ++unconnected;
    setsockopt(cs[i].fd, SOL_SOCKET, SO_LINGER, &abort_close, sizeof abort_close);
    close(cs[i].fd);
  }
  qsort(lat, n_lat, sizeof *lat, cmp_double);
  printf(
      "mode=%s conns=%d connected=%ld unconnected=%ld connect_failures=%ld resets=%ld requests=%zu "
      "p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f rss_before_kib=%ld rss_after_kib=%ld "
      "server_cpu_s=%.4f wall_s=%.4f first_connect_errno=%d\n",
      idle ? "idle" : "pingpong", conns, connected, unconnected, connect_failures, resets, n_lat,
      percentile(lat, n_lat, 0.50) * 1e3, percentile(lat, n_lat, 0.99) * 1e3,
      percentile(lat, n_lat, 0.999) * 1e3, n_lat ? lat[n_lat - 1] * 1e3 : 0.0, rss_before, rss_after,
      cpu_after - cpu_before, wall, first_error);
  return 0;
usage:
  fprintf(stderr, "usage: %s --port P [--conns N] [--size S] [--seconds D] [--pid PID] [--idle]\n", argv[0]);
  return 2;
}
