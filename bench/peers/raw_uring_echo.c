/* raw_uring_echo: the physical limit of the completion model, for bench/echo. One thread, one
 * io_uring with deferred task work (single issuer): a multishot accept on the listener, and per
 * connection one operation in flight at a time, a recv into the connection's buffer or the send of
 * what it received (resubmitted until all of it went). Everything a turn queues goes to the kernel
 * in the one io_uring_enter that waits for the next completions; no other system call is made per
 * message.
 *
 *   raw_uring_echo [--port N] [--seconds S]     (port 0: any free port; printed on stdout)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kBufferSize = 64 * 1024, kEntries = 4096 };

/* user_data: fd << 2 | kind */
enum { kAccept = 0, kRecv = 1, kSend = 2 };

struct conn {
  char* buffer;
  uint32_t len, off; /* the bytes being sent back: buffer[off, len) */
};

static struct io_uring ring;
static struct conn* conns; /* by descriptor */
static size_t conns_size;

static void die(const char* what, int err) {
  fprintf(stderr, "%s: %s\n", what, strerror(err));
  exit(1);
}

static struct conn* conn_of(int fd) {
  if ((size_t)fd >= conns_size) {
    size_t n = (size_t)fd * 2 + 64;
    conns = realloc(conns, n * sizeof *conns);
    if (!conns) die("realloc", ENOMEM);
    memset(conns + conns_size, 0, (n - conns_size) * sizeof *conns);
    conns_size = n;
  }
  return &conns[fd];
}

static struct io_uring_sqe* sqe(void) {
  struct io_uring_sqe* s = io_uring_get_sqe(&ring);
  if (!s) {
    io_uring_submit(&ring);
    s = io_uring_get_sqe(&ring);
    if (!s) die("io_uring_get_sqe", EBUSY);
  }
  return s;
}

static void queue_accept(int listen_fd) {
  struct io_uring_sqe* s = sqe();
  io_uring_prep_multishot_accept(s, listen_fd, NULL, NULL, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(s, (uint64_t)listen_fd << 2 | kAccept);
}

static void queue_recv(int fd, struct conn* c) {
  struct io_uring_sqe* s = sqe();
  io_uring_prep_recv(s, fd, c->buffer, kBufferSize, 0);
  io_uring_sqe_set_data64(s, (uint64_t)fd << 2 | kRecv);
}

static void queue_send(int fd, struct conn* c) {
  struct io_uring_sqe* s = sqe();
  io_uring_prep_send(s, fd, c->buffer + c->off, c->len - c->off, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(s, (uint64_t)fd << 2 | kSend);
}

static void drop(int fd, struct conn* c) {
  free(c->buffer);
  c->buffer = NULL;
  close(fd);
}

static void on_completion(int listen_fd, uint64_t data, int res, unsigned flags) {
  int fd = (int)(data >> 2);
  switch ((int)(data & 3)) {
    case kAccept: {
      if (!(flags & IORING_CQE_F_MORE)) queue_accept(listen_fd); /* the kernel ended the multishot */
      if (res < 0) return;
      int one = 1;
      setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      struct conn* c = conn_of(res);
      c->buffer = malloc(kBufferSize);
      if (!c->buffer) die("malloc", ENOMEM);
      queue_recv(res, c);
      return;
    }
    case kRecv: {
      struct conn* c = conn_of(fd);
      if (res <= 0) {
        drop(fd, c);
        return;
      }
      c->len = (uint32_t)res;
      c->off = 0;
      queue_send(fd, c);
      return;
    }
    case kSend: {
      struct conn* c = conn_of(fd);
      if (res < 0) {
        drop(fd, c);
        return;
      }
      c->off += (uint32_t)res;
      if (c->off < c->len) {
        queue_send(fd, c);
      } else {
        queue_recv(fd, c);
      }
      return;
    }
  }
}

static int listen_on(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket", errno);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr*)&addr, sizeof addr) != 0) die("bind", errno);
  if (listen(fd, SOMAXCONN) != 0) die("listen", errno);
  socklen_t len = sizeof addr;
  getsockname(fd, (struct sockaddr*)&addr, &len);
  printf("listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));
  fflush(stdout);
  return fd;
}

int main(int argc, char** argv) {
  int port = 8007;
  unsigned seconds = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--port") == 0) {
      port = atoi(argv[i + 1]);
    } else if (strcmp(argv[i], "--seconds") == 0) {
      seconds = (unsigned)atoi(argv[i + 1]);
    } else {
      fprintf(stderr, "usage: %s [--port N] [--seconds S]\n", argv[0]);
      return 2;
    }
  }
  if (argc % 2 == 0) {
    fprintf(stderr, "usage: %s [--port N] [--seconds S]\n", argv[0]);
    return 2;
  }
  struct io_uring_params params = {0};
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
  params.cq_entries = 4 * kEntries;
  int rc = io_uring_queue_init_params(kEntries, &ring, &params);
  if (rc < 0) die("io_uring_queue_init_params", -rc);
  int listen_fd = listen_on(port);
  if (seconds > 0) alarm(seconds); /* SIGALRM's default action ends the process */
  queue_accept(listen_fd);

  for (;;) {
    rc = io_uring_submit_and_wait(&ring, 1);
    if (rc < 0 && rc != -EINTR && rc != -ETIME) die("io_uring_submit_and_wait", -rc);
    struct io_uring_cqe* cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      on_completion(listen_fd, cqe->user_data, cqe->res, cqe->flags);
      ++seen;
    }
    io_uring_cq_advance(&ring, seen);
  }
}
