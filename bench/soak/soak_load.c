/* soak_load: the load generator of the soak (bench/soak/run.sh). It holds N connections to one
 * server for D seconds and sends requests over them at a steady aggregate rate, counting every
 * error; then it closes them all, so the server's memory and descriptors can be watched coming
 * back to where they started.
 *
 *   soak_load --port P [--proto echo|http] [--conns N] [--rate R] [--seconds D]
 *             [--connect-rate C] [--timeout T]
 *
 * Connections are opened C per second (non-blocking connect; 0: all at once) and must all be
 * established; then every connection in turn gets a request, R per second in all, paced by the
 * clock in 1 ms steps (a connection whose previous reply has not come back when its turn comes is
 * counted as "late" and skipped, not queued). echo: 64 bytes whose first 8 carry a sequence number,
 * checked on the way back. http: "GET / HTTP/1.1", a 200 response whose body is Content-Length
 * bytes. An error is a connect that failed or timed out, a connection reset or closed by the
 * server, a wrong reply, or a reply that took longer than T seconds.
 *
 * Raises its own descriptor limit to the hard limit. Prints one line of key=value pairs; exits 0
 * even when errors were counted (the caller judges), non-zero only when it could not run.
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

enum { kMaxEvents = 1024, kEchoSize = 64, kReplyMax = 512 };

enum state { kConnecting, kIdle, kWaiting, kDead };

struct conn {
  int fd;
  enum state state;
  uint32_t got;
  uint64_t seq;
  double sent_at;
  char reply[kReplyMax];
};

struct options {
  int port;
  int http;
  int conns;
  double rate;
  double seconds;
  double connect_rate;
  double timeout;
};

struct counters {
  uint64_t connected, connect_errors, requests, replies, late, resets, closed, bad, timeouts;
  double max_latency;
};

static struct counters c;
static const char kHttpRequest[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

static void usage(const char* program) {
  fprintf(stderr,
          "usage: %s --port P [--proto echo|http] [--conns N] [--rate R] [--seconds D] "
          "[--connect-rate C] [--timeout T]\n",
          program);
  exit(2);
}

static struct options parse(int argc, char** argv) {
  struct options o = {0, 0, 10000, 20000, 60, 5000, 5};
  for (int i = 1; i < argc; ++i) {
    if (i + 1 >= argc) usage(argv[0]);
    const char* flag = argv[i];
    const char* v = argv[++i];
    if (!strcmp(flag, "--port"))
      o.port = atoi(v);
    else if (!strcmp(flag, "--proto"))
      o.http = !strcmp(v, "http");
    else if (!strcmp(flag, "--conns"))
      o.conns = atoi(v);
    else if (!strcmp(flag, "--rate"))
      o.rate = atof(v);
    else if (!strcmp(flag, "--seconds"))
      o.seconds = atof(v);
    else if (!strcmp(flag, "--connect-rate"))
      o.connect_rate = atof(v);
    else if (!strcmp(flag, "--timeout"))
      o.timeout = atof(v);
    else
      usage(argv[0]);
  }
  if (o.port <= 0 || o.conns <= 0 || o.rate <= 0) usage(argv[0]);
  return o;
}

/* The descriptors this process needs: one per connection and a few of its own. */
static void raise_fd_limit(int conns) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  rl.rlim_cur = rl.rlim_max;
  (void)setrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)conns + 16) {
    fprintf(stderr, "soak_load: the descriptor hard limit %llu is below %d connections\n",
            (unsigned long long)rl.rlim_max, conns);
    exit(1);
  }
}

static void kill_conn(int ep, struct conn* k, uint64_t* counter) {
  if (k->state == kDead) return;
  ++*counter;
  epoll_ctl(ep, EPOLL_CTL_DEL, k->fd, NULL);
  close(k->fd);
  k->fd = -1;
  k->state = kDead;
}

static void start_connect(int ep, struct conn* k, uint64_t index, int port) {
  k->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  k->state = kConnecting;
  if (k->fd < 0) {
    k->state = kDead;
    ++c.connect_errors;
    return;
  }
  int one = 1;
  setsockopt(k->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  k->sent_at = now_s(); /* the connect deadline counts from here */
  if (connect(k->fd, (struct sockaddr*)&addr, sizeof addr) != 0 && errno != EINPROGRESS) {
    close(k->fd);
    k->fd = -1;
    k->state = kDead;
    ++c.connect_errors;
    return;
  }
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u64 = index};
  epoll_ctl(ep, EPOLL_CTL_ADD, k->fd, &ev);
}

static void on_connected(int ep, struct conn* k, uint64_t index) {
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    kill_conn(ep, k, &c.connect_errors);
    return;
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = index};
  epoll_ctl(ep, EPOLL_CTL_MOD, k->fd, &ev);
  k->state = kIdle;
  ++c.connected;
}

static void send_request(int ep, struct conn* k, int http) {
  char msg[kEchoSize];
  const char* data = kHttpRequest;
  size_t size = sizeof kHttpRequest - 1;
  if (!http) {
    memset(msg, 'x', sizeof msg);
    memcpy(msg, &k->seq, sizeof k->seq);
    data = msg;
    size = sizeof msg;
  }
  ssize_t n = send(k->fd, data, size, MSG_NOSIGNAL);
  if (n != (ssize_t)size) { /* a 64-byte send into an idle socket is whole or an error */
    kill_conn(ep, k, &c.resets);
    return;
  }
  k->state = kWaiting;
  k->got = 0;
  k->sent_at = now_s();
  ++c.requests;
}

/* True when the reply in k->reply is complete; sets *bad when it is wrong. */
static int reply_complete(struct conn* k, int http, int* bad) {
  *bad = 0;
  if (!http) {
    if (k->got < kEchoSize) return 0;
    uint64_t seq;
    memcpy(&seq, k->reply, sizeof seq);
    *bad = k->got != kEchoSize || seq != k->seq;
    return 1;
  }
  k->reply[k->got < kReplyMax ? k->got : kReplyMax - 1] = '\0';
  char* end = strstr(k->reply, "\r\n\r\n");
  if (!end) {
    *bad = k->got >= kReplyMax - 1;
    return *bad;
  }
  const char* length = strcasestr(k->reply, "\r\ncontent-length:");
  if (!length || length > end) {
    *bad = 1;
    return 1;
  }
  size_t body = strtoul(length + 17, NULL, 10);
  size_t total = (size_t)(end + 4 - k->reply) + body;
  if (k->got < total) return 0;
  *bad = k->got != total || strncmp(k->reply, "HTTP/1.1 200", 12) != 0;
  return 1;
}

static void on_readable(int ep, struct conn* k, int http) {
  if (k->state != kWaiting) { /* nothing asked: only a close or a reset can arrive */
    char scratch[64];
    ssize_t n = recv(k->fd, scratch, sizeof scratch, 0);
    if (n == 0)
      kill_conn(ep, k, &c.closed);
    else if (n > 0)
      kill_conn(ep, k, &c.bad);
    else if (errno != EAGAIN)
      kill_conn(ep, k, &c.resets);
    return;
  }
  ssize_t n = recv(k->fd, k->reply + k->got, kReplyMax - 1 - k->got, 0);
  if (n == 0) {
    kill_conn(ep, k, &c.closed);
    return;
  }
  if (n < 0) {
    if (errno != EAGAIN) kill_conn(ep, k, &c.resets);
    return;
  }
  k->got += (uint32_t)n;
  int bad;
  if (!reply_complete(k, http, &bad)) return;
  if (bad) {
    kill_conn(ep, k, &c.bad);
    return;
  }
  double latency = now_s() - k->sent_at;
  if (latency > c.max_latency) c.max_latency = latency;
  ++c.replies;
  ++k->seq;
  k->state = kIdle;
}

int main(int argc, char** argv) {
  struct options o = parse(argc, argv);
  raise_fd_limit(o.conns);
  struct conn* conns = calloc((size_t)o.conns, sizeof *conns);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (!conns || ep < 0) {
    perror("soak_load");
    return 1;
  }
  struct epoll_event events[kMaxEvents];

  /* Connect, C per second, until every connection is up or has failed. */
  double t0 = now_s();
  int opened = 0, pending = 0;
  while (opened < o.conns || pending > 0) {
    double now = now_s();
    int due = o.connect_rate > 0 ? (int)((now - t0) * o.connect_rate) + 1 : o.conns;
    for (; opened < o.conns && opened < due; ++opened) {
      start_connect(ep, &conns[opened], (uint64_t)opened, o.port);
      if (conns[opened].state == kConnecting) ++pending;
    }
    int n = epoll_wait(ep, events, kMaxEvents, 1);
    for (int i = 0; i < n; ++i) {
      struct conn* k = &conns[events[i].data.u64];
      if (k->state != kConnecting) continue;
      on_connected(ep, k, events[i].data.u64);
      --pending;
    }
    now = now_s();
    if (now - t0 > 2.0 * o.conns / (o.connect_rate > 0 ? o.connect_rate : 1e9) + o.timeout * 4) {
      for (int i = 0; i < opened; ++i)
        if (conns[i].state == kConnecting) kill_conn(ep, &conns[i], &c.connect_errors), --pending;
    }
  }
  double connect_s = now_s() - t0;

  /* The steady phase: R requests per second, round robin over the connections. */
  double start = now_s(), next_check = start + 0.5;
  uint64_t issued = 0;
  size_t cursor = 0;
  for (;;) {
    double now = now_s();
    if (now - start >= o.seconds) break;
    uint64_t due = (uint64_t)((now - start) * o.rate);
    for (; issued < due; ++issued) {
      struct conn* k = &conns[cursor];
      cursor = (cursor + 1) % (size_t)o.conns;
      if (k->state == kIdle)
        send_request(ep, k, o.http);
      else if (k->state == kWaiting)
        ++c.late;
    }
    int n = epoll_wait(ep, events, kMaxEvents, 1);
    for (int i = 0; i < n; ++i) on_readable(ep, &conns[events[i].data.u64], o.http);
    if (now >= next_check) { /* replies overdue */
      next_check = now + 0.5;
      for (int i = 0; i < o.conns; ++i)
        if (conns[i].state == kWaiting && now - conns[i].sent_at > o.timeout)
          kill_conn(ep, &conns[i], &c.timeouts);
    }
  }
  /* The last replies, then close everything. */
  double drain_until = now_s() + o.timeout;
  for (;;) {
    int waiting = 0;
    for (int i = 0; i < o.conns; ++i) waiting += conns[i].state == kWaiting;
    if (waiting == 0 || now_s() > drain_until) {
      for (int i = 0; i < o.conns; ++i)
        if (conns[i].state == kWaiting) kill_conn(ep, &conns[i], &c.timeouts);
      break;
    }
    int n = epoll_wait(ep, events, kMaxEvents, 10);
    for (int i = 0; i < n; ++i) on_readable(ep, &conns[events[i].data.u64], o.http);
  }
  double elapsed = now_s() - start;
  for (int i = 0; i < o.conns; ++i)
    if (conns[i].fd >= 0) close(conns[i].fd);
  uint64_t errors = c.connect_errors + c.resets + c.closed + c.bad + c.timeouts;
  printf(
      "conns=%d connected=%llu connect_s=%.3f seconds=%.3f requests=%llu replies=%llu "
      "rate=%.1f late=%llu max_latency_ms=%.2f connect_errors=%llu resets=%llu closed=%llu "
      "bad=%llu timeouts=%llu errors=%llu\n",
      o.conns, (unsigned long long)c.connected, connect_s, elapsed, (unsigned long long)c.requests,
      (unsigned long long)c.replies, (double)c.replies / elapsed, (unsigned long long)c.late,
      c.max_latency * 1e3, (unsigned long long)c.connect_errors, (unsigned long long)c.resets,
      (unsigned long long)c.closed, (unsigned long long)c.bad, (unsigned long long)c.timeouts,
      (unsigned long long)errors);
  free(conns);
  return 0;
}
