/* loadgen: the one load generator bench/echo drives every echo server with. One thread, one epoll
 * set, as little work per request as it can: level-triggered EPOLLIN only (no epoll_ctl per
 * request), one recv and one send per message, one clock read per epoll_wait batch.
 *
 *   loadgen --port P [--conns N] [--size S] [--seconds D] [--warmup W] [--requests R] [--pid PID]
 *           [--stream | --uring]
 *
 * Ping-pong (default): N connections each send a message of S bytes, wait for all S bytes to come
 * back, and repeat. The first 8 bytes carry the connection's sequence number, checked on every
 * echo. Streaming (--stream): N connections each send S-byte chunks as fast as the socket takes
 * them and read the echo back continuously; the figure is echoed bytes per second.
 *
 * --uring: ping-pong driven through io_uring instead of epoll: every connection's send or recv is a
 * ring operation, and one io_uring_enter per batch submits them all and collects what completed.
 * That costs the load generator far less per request than a server that makes a system call per
 * message, so it can keep such a server's core busy (a server benchmark counts only at saturation).
 *
 * The first W seconds warm up (connections accepted, stacks and buffers grown); then D seconds (or
 * R requests) are measured. With --pid, the server's CPU time (utime+stime, read at nanosecond
 * precision as the sum of its threads' run time in /proc/PID/task/T/schedstat, and at tick
 * precision from /proc/PID/stat) is sampled at both ends of the measured window.
 *
 * Prints one line of key=value pairs; exits non-zero when nothing could be measured.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../lib/proc_stats.h"

enum { kMaxEvents = 1024, kStreamRecv = 256 * 1024 };

struct options {
  int port;
  int conns;
  size_t size;
  double seconds;
  double warmup;
  uint64_t requests; /* 0: bounded by time only */
  int pid;
  int stream;
  int uring;
};

struct conn {
  int fd;
  uint32_t got;  /* bytes of the current echo received */
  uint32_t sent; /* bytes of the current message sent */
  uint64_t seq;
  uint64_t head; /* the first 8 bytes of the echo, for the check */
};

struct counters {
  uint64_t done;   /* ping-pong: echoes completed; streaming: bytes received */
  uint64_t errors; /* connections lost or echoes that came back wrong */
};

static char* tx;
static char* rx;

static void die(const char* what) {
  perror(what);
  exit(1);
}

/* utime+stime of `pid` in seconds from /proc/PID/stat (tick precision); -1 if unreadable. */
static double stat_cpu_s(int pid) {
  char path[64], line[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE* f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(line, 1, sizeof line - 1, f);
  fclose(f);
  line[n] = '\0';
  char* p = strrchr(line, ')');
  unsigned long utime, stime;
  if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
    return -1;
  return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static int connect_one(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr*)&addr, sizeof addr) != 0) die("connect");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) die("fcntl");
  return fd;
}

static void watch(int epfd, int fd, uint32_t events, void* ptr, int op) {
  struct epoll_event ev = {.events = events, .data.ptr = ptr};
  if (epoll_ctl(epfd, op, fd, &ev) != 0) die("epoll_ctl");
}

static void lose(int epfd, struct conn* c, struct counters* k) {
  epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  c->fd = -1;
  ++k->errors;
}

/* --- ping-pong -------------------------------------------------------------------------------- */

/* Sends the rest of the current message; waits for EPOLLOUT only when the socket is full. */
static void send_message(int epfd, struct conn* c, size_t size, struct counters* k) {
  memcpy(tx, &c->seq, sizeof c->seq);
  int was_blocked = c->sent > 0;
  while (c->sent < size) {
    ssize_t n = send(c->fd, tx + c->sent, size - c->sent, MSG_NOSIGNAL);
    if (n > 0) {
      c->sent += (uint32_t)n;
    } else if (n < 0 && errno == EAGAIN) {
      if (!was_blocked) watch(epfd, c->fd, EPOLLIN | EPOLLOUT, c, EPOLL_CTL_MOD);
      return;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      lose(epfd, c, k);
      return;
    }
  }
  if (was_blocked) watch(epfd, c->fd, EPOLLIN, c, EPOLL_CTL_MOD);
}

static void start_message(int epfd, struct conn* c, size_t size, struct counters* k) {
  ++c->seq;
  c->got = 0;
  c->sent = 0;
  send_message(epfd, c, size, k);
}

static void on_echo(int epfd, struct conn* c, size_t size, struct counters* k) {
  ssize_t n = recv(c->fd, rx, size - c->got, 0);
  if (n <= 0) {
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    lose(epfd, c, k);
    return;
  }
  if (c->got < sizeof c->head) {
    size_t head_bytes = sizeof c->head - c->got;
    if (head_bytes > (size_t)n) head_bytes = (size_t)n;
    memcpy((char*)&c->head + c->got, rx, head_bytes);
  }
  c->got += (uint32_t)n;
  if (c->got < size) return;
  if (c->head != c->seq) ++k->errors;
  ++k->done;
  start_message(epfd, c, size, k); /* all of it came back, so all of it was sent */
}

static void pingpong_event(int epfd, struct epoll_event* ev, size_t size, struct counters* k) {
  struct conn* c = ev->data.ptr;
  if (c->fd < 0) return;
  if ((ev->events & EPOLLOUT) && c->sent < size) {
    send_message(epfd, c, size, k);
  }
  if (c->fd >= 0 && (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR))) on_echo(epfd, c, size, k);
}

/* --- streaming -------------------------------------------------------------------------------- */

static void stream_event(int epfd, struct epoll_event* ev, size_t size, struct counters* k) {
  struct conn* c = ev->data.ptr;
  if (c->fd < 0) return;
  if (ev->events & EPOLLOUT) {
    for (;;) {
      ssize_t n = send(c->fd, tx, size, MSG_NOSIGNAL);
      if (n > 0) continue;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      lose(epfd, c, k);
      return;
    }
  }
  if (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    for (;;) {
      ssize_t n = recv(c->fd, rx, kStreamRecv, 0);
      if (n > 0) {
        k->done += (uint64_t)n;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      lose(epfd, c, k);
      return;
    }
  }
}

/* --- ping-pong on io_uring ---------------------------------------------------------------------- */

static struct io_uring ring;
/* A send and a receive buffer per connection: their operations are in flight together, and the
 * kernel reads a send's bytes only when the batch is submitted. */
static char* uring_tx;
static char* uring_rx;

static void uring_queue(struct conn* c, int index, size_t size) {
  struct io_uring_sqe* s = io_uring_get_sqe(&ring);
  if (!s) {
    io_uring_submit(&ring);
    s = io_uring_get_sqe(&ring);
    if (!s) die("io_uring_get_sqe");
  }
  if (c->sent < size) {
    io_uring_prep_send(s, c->fd, uring_tx + (size_t)index * size + c->sent, size - c->sent, MSG_NOSIGNAL);
  } else {
    io_uring_prep_recv(s, c->fd, uring_rx + (size_t)index * size + c->got, size - c->got, 0);
  }
  io_uring_sqe_set_data64(s, (uint64_t)index);
}

static void uring_start(struct conn* c, int index, size_t size) {
  ++c->seq;
  c->got = 0;
  c->sent = 0;
  memcpy(uring_tx + (size_t)index * size, &c->seq, sizeof c->seq);
  uring_queue(c, index, size);
}

/* One completion: the send goes on until all of it went, then the receive until the echo is whole. */
static void uring_completion(struct conn* conns, struct io_uring_cqe* cqe, size_t size, struct counters* k) {
  int index = (int)cqe->user_data;
  struct conn* c = &conns[index];
  if (c->fd < 0) return;
  if (cqe->res <= 0) {
    close(c->fd);
    c->fd = -1;
    ++k->errors;
    return;
  }
  if (c->sent < size) {
    c->sent += (uint32_t)cqe->res;
  } else {
    c->got += (uint32_t)cqe->res;
    if (c->got == size) {
      uint64_t head;
      memcpy(&head, uring_rx + (size_t)index * size, sizeof head);
      if (head != c->seq) ++k->errors;
      ++k->done;
      uring_start(c, index, size);
      return;
    }
  }
  uring_queue(c, index, size);
}

static void uring_setup(int conns, size_t size) {
  struct io_uring_params params = {0};
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
  params.cq_entries = 4 * 4096;
  int rc = io_uring_queue_init_params(4096, &ring, &params);
  if (rc < 0) {
    errno = -rc;
    die("io_uring_queue_init_params");
  }
  uring_tx = malloc((size_t)conns * size);
  uring_rx = malloc((size_t)conns * size);
  if (!uring_tx || !uring_rx) die("malloc");
  for (int i = 0; i < conns; ++i) memcpy(uring_tx + (size_t)i * size, tx, size);
}

/* Waits up to 50 ms for completions and handles them all. */
static void uring_turn(struct conn* conns, size_t size, struct counters* k) {
  struct __kernel_timespec ts = {.tv_sec = 0, .tv_nsec = 50 * 1000 * 1000};
  struct io_uring_cqe* cqe;
  int rc = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, NULL);
  if (rc < 0 && rc != -ETIME && rc != -EINTR) {
    errno = -rc;
    die("io_uring_submit_and_wait_timeout");
  }
  unsigned head, seen = 0;
  io_uring_for_each_cqe(&ring, head, cqe) {
    uring_completion(conns, cqe, size, k);
    ++seen;
  }
  io_uring_cq_advance(&ring, seen);
}

/* --- the run ------------------------------------------------------------------------------------ */

static void usage(const char* program) {
  fprintf(stderr,
          "usage: %s --port P [--conns N] [--size S] [--seconds D] [--warmup W] [--requests R] "
          "[--pid PID] [--stream | --uring]\n",
          program);
  exit(2);
}

static struct options parse(int argc, char** argv) {
  struct options o = {.port = 0, .conns = 100, .size = 512, .seconds = 2, .warmup = 0.5};
  for (int i = 1; i < argc; ++i) {
    const char* flag = argv[i];
    if (strcmp(flag, "--stream") == 0) {
      o.stream = 1;
      continue;
    }
    if (strcmp(flag, "--uring") == 0) {
      o.uring = 1;
      continue;
    }
    if (i + 1 >= argc) usage(argv[0]);
    const char* v = argv[++i];
    if (strcmp(flag, "--port") == 0) {
      o.port = atoi(v);
    } else if (strcmp(flag, "--conns") == 0) {
      o.conns = atoi(v);
    } else if (strcmp(flag, "--size") == 0) {
      o.size = (size_t)strtoul(v, NULL, 10);
    } else if (strcmp(flag, "--seconds") == 0) {
      o.seconds = atof(v);
    } else if (strcmp(flag, "--warmup") == 0) {
      o.warmup = atof(v);
    } else if (strcmp(flag, "--requests") == 0) {
      o.requests = strtoull(v, NULL, 10);
    } else if (strcmp(flag, "--pid") == 0) {
      o.pid = atoi(v);
    } else {
      usage(argv[0]);
    }
  }
  if (o.stream && o.uring) usage(argv[0]);
  if (o.port <= 0 || o.port > 65535 || o.conns <= 0 || o.conns > 15000 || o.seconds <= 0 || o.warmup < 0 ||
      o.size < (o.stream ? 1 : sizeof(uint64_t)) || o.size > (1u << 24)) {
    usage(argv[0]);
  }
  return o;
}

int main(int argc, char** argv) {
  struct options o = parse(argc, argv);
  tx = malloc(o.size);
  rx = malloc(o.size > kStreamRecv ? o.size : kStreamRecv);
  struct conn* conns = calloc((size_t)o.conns, sizeof *conns);
  if (!tx || !rx || !conns) die("malloc");
  for (size_t i = 0; i < o.size; ++i) tx[i] = (char)('a' + i % 26);

  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die("epoll_create1");
  double setup_start = now_s();
  for (int i = 0; i < o.conns; ++i) {
    conns[i].fd = connect_one(o.port);
    if (o.uring) continue;
    watch(epfd, conns[i].fd, o.stream ? (EPOLLIN | EPOLLOUT | EPOLLET) : EPOLLIN, &conns[i], EPOLL_CTL_ADD);
  }
  double setup_s = now_s() - setup_start;

  struct counters k = {0, 0};
  if (o.uring) {
    uring_setup(o.conns, o.size);
    for (int i = 0; i < o.conns; ++i) uring_start(&conns[i], i, o.size);
  } else if (!o.stream) {
    for (int i = 0; i < o.conns; ++i) start_message(epfd, &conns[i], o.size, &k);
  }

  struct epoll_event events[kMaxEvents];
  double start = now_s(), window_start = start + o.warmup, end = window_start + o.seconds;
  int measuring = 0;
  uint64_t done0 = 0;
  double cpu0 = -1, sched0 = -1, t0 = 0, t1 = 0;
  for (;;) {
    int n = o.uring ? 0 : epoll_wait(epfd, events, kMaxEvents, 50);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    if (o.uring) uring_turn(conns, o.size, &k);
    for (int i = 0; i < n; ++i) {
      if (o.stream) {
        stream_event(epfd, &events[i], o.size, &k);
      } else {
        pingpong_event(epfd, &events[i], o.size, &k);
      }
    }
    double t = now_s();
    if (!measuring && t >= window_start) {
      measuring = 1;
      t0 = t;
      done0 = k.done;
      if (o.pid > 0) {
        cpu0 = stat_cpu_s(o.pid);
        sched0 = sched_cpu_s(o.pid);
      }
    } else if (measuring && (t >= end || (o.requests > 0 && k.done - done0 >= o.requests))) {
      t1 = t;
      break;
    }
  }
  uint64_t done = k.done - done0;
  double cpu = -1, sched = -1;
  if (o.pid > 0) {
    double cpu1 = stat_cpu_s(o.pid), sched1 = sched_cpu_s(o.pid);
    if (cpu0 >= 0 && cpu1 >= 0) cpu = cpu1 - cpu0;
    if (sched0 >= 0 && sched1 >= 0) sched = sched1 - sched0;
  }
  double seconds = t1 - t0;
  /* The per-unit CPU figure uses the precise reading when the kernel offers it. */
  double server_cpu = sched >= 0 ? sched : cpu;
  if (o.stream) {
    double mib = (double)done / (1024.0 * 1024.0);
    printf("mode=stream conns=%d size=%zu bytes=%llu seconds=%.4f mb_per_s=%.2f", o.conns, o.size,
           (unsigned long long)done, seconds, (double)done / 1e6 / seconds);
    printf(" server_cpu_s=%.4f server_cpu_stat_s=%.3f cpu_us_per_mib=%.3f", server_cpu, cpu,
           mib > 0 && server_cpu >= 0 ? server_cpu * 1e6 / mib : -1.0);
  } else {
    printf("mode=pingpong conns=%d size=%zu requests=%llu seconds=%.4f rps=%.1f", o.conns, o.size,
           (unsigned long long)done, seconds, (double)done / seconds);
    printf(" server_cpu_s=%.4f server_cpu_stat_s=%.3f cpu_us_per_req=%.4f", server_cpu, cpu,
           done > 0 && server_cpu >= 0 ? server_cpu * 1e6 / (double)done : -1.0);
  }
  printf(" errors=%llu setup_s=%.3f\n", (unsigned long long)k.errors, setup_s);
  for (int i = 0; i < o.conns; ++i) {
    if (conns[i].fd >= 0) close(conns[i].fd);
  }
  return done > 0 ? 0 : 1;
}
