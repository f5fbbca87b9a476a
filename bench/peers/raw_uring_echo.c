/* raw_uring_echo: the physical limit of the completion model, for bench/echo. One thread, one
 * io_uring with deferred task work (single issuer), a multishot accept on the listener. Everything a
 * turn queues goes to the kernel in the one io_uring_enter that waits for the next completions; no
 * other system call is made per message.
 *
 * Default: per connection one operation in flight at a time, a recv into the connection's buffer or
 * the send of what it received (resubmitted until all of it went).
 * --multishot: one multishot recv per connection stays armed and receives into buffers the kernel
 * picks from a provided buffer ring; each buffer is sent back in order and then returned to the
 * ring. No SQE per received message and no poll armed again per message: the kernel's best case.
 * --fixed-files: each accepted socket is also registered in the ring's file table (one
 * io_uring_register per connection, as a runtime that keeps real descriptors would do), and its
 * recv and send name it by index (IOSQE_FIXED_FILE): no file-table lookup per operation.
 *
 *   raw_uring_echo [--port N] [--seconds S] [--multishot] [--fixed-files]   (port 0: any free port)
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

enum { kBufferSize = 64 * 1024, kEntries = 4096, kFixedFiles = 16384 };
/* --multishot: the provided buffers, and how many received buffers a connection may hold. */
enum { kRingBuffers = 4096, kRingBufferSize = 4096, kHeld = 64, kGroup = 0 };

/* user_data: fd << 2 | kind */
enum { kAccept = 0, kRecv = 1, kSend = 2 };

struct conn {
  int open;
  char* buffer;      /* single-shot: the connection's own buffer */
  uint32_t len, off; /* single-shot: the bytes being sent back, buffer[off, len) */
  /* multishot: received buffers not yet sent back, oldest first, and the bytes of the oldest sent */
  uint16_t held_id[kHeld];
  uint32_t held_len[kHeld];
  unsigned head, tail, sent;
};

static struct io_uring ring;
static struct conn* conns; /* by descriptor */
static size_t conns_size;
static int multishot;
static int fixed_files;
static struct io_uring_buf_ring* buffer_ring;
static char* ring_buffers;

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

static void give_back(unsigned id) {
  io_uring_buf_ring_add(buffer_ring, ring_buffers + (size_t)id * kRingBufferSize, kRingBufferSize,
                        (unsigned short)id, io_uring_buf_ring_mask(kRingBuffers), 0);
  io_uring_buf_ring_advance(buffer_ring, 1);
}

static void setup_buffer_ring(void) {
  if (posix_memalign((void**)&buffer_ring, 4096, kRingBuffers * sizeof(struct io_uring_buf)) != 0)
    die("posix_memalign", ENOMEM);
  ring_buffers = malloc((size_t)kRingBuffers * kRingBufferSize);
  if (!ring_buffers) die("malloc", ENOMEM);
  io_uring_buf_ring_init(buffer_ring);
  struct io_uring_buf_reg reg = {
      .ring_addr = (unsigned long)buffer_ring, .ring_entries = kRingBuffers, .bgid = kGroup};
  int rc = io_uring_register_buf_ring(&ring, &reg, 0);
  if (rc < 0) die("io_uring_register_buf_ring", -rc);
  for (unsigned id = 0; id < kRingBuffers; ++id) give_back(id);
}

static void queue_accept(int listen_fd) {
  struct io_uring_sqe* s = sqe();
  io_uring_prep_multishot_accept(s, listen_fd, NULL, NULL, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(s, (uint64_t)listen_fd << 2 | kAccept);
}

static void queue_recv(int fd, struct conn* c) {
  struct io_uring_sqe* s = sqe();
  if (multishot) {
    io_uring_prep_recv_multishot(s, fd, NULL, 0, 0);
    s->flags |= IOSQE_BUFFER_SELECT;
    s->buf_group = kGroup;
  } else {
    io_uring_prep_recv(s, fd, c->buffer, kBufferSize, 0);
  }
  if (fixed_files) s->flags |= IOSQE_FIXED_FILE;
  io_uring_sqe_set_data64(s, (uint64_t)fd << 2 | kRecv);
}

static void queue_send(int fd, struct conn* c) {
  struct io_uring_sqe* s = sqe();
  if (multishot) {
    unsigned i = c->head % kHeld;
    io_uring_prep_send(s, fd, ring_buffers + (size_t)c->held_id[i] * kRingBufferSize + c->sent,
                       c->held_len[i] - c->sent, MSG_NOSIGNAL);
  } else {
    io_uring_prep_send(s, fd, c->buffer + c->off, c->len - c->off, MSG_NOSIGNAL);
  }
  if (fixed_files) s->flags |= IOSQE_FIXED_FILE;
  io_uring_sqe_set_data64(s, (uint64_t)fd << 2 | kSend);
}

/* Closed once: in multishot mode a recv and a send may both report the end. Buffers still held go
 * back to the ring. */
static void drop(int fd, struct conn* c) {
  if (!c->open) return;
  c->open = 0;
  for (; c->head != c->tail; ++c->head) give_back(c->held_id[c->head % kHeld]);
  free(c->buffer);
  c->buffer = NULL;
  if (fixed_files) {
    int none = -1;
    io_uring_register_files_update(&ring, (unsigned)fd, &none, 1);
  }
  close(fd);
}

static void on_accept(int listen_fd, int res, unsigned flags) {
  if (!(flags & IORING_CQE_F_MORE)) queue_accept(listen_fd); /* the kernel ended the multishot */
  if (res < 0) return;
  if (fixed_files &&
      (res >= kFixedFiles || io_uring_register_files_update(&ring, (unsigned)res, &res, 1) != 1)) {
    close(res); /* no slot for it */
    return;
  }
  int one = 1;
  setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct conn* c = conn_of(res);
  memset(c, 0, sizeof *c);
  c->open = 1;
  if (!multishot) {
    c->buffer = malloc(kBufferSize);
    if (!c->buffer) die("malloc", ENOMEM);
  }
  queue_recv(res, c);
}

static void on_recv(int fd, struct conn* c, int res, unsigned flags) {
  if (res == -ENOBUFS && c->open) { /* every buffer is held: try again once some went back */
    queue_recv(fd, c);
    return;
  }
  if (res <= 0 || !c->open) {
    if (res > 0) give_back(flags >> IORING_CQE_BUFFER_SHIFT);
    drop(fd, c);
    return;
  }
  if (!multishot) {
    c->len = (uint32_t)res;
    c->off = 0;
    queue_send(fd, c);
    return;
  }
  unsigned i = c->tail++ % kHeld;
  c->held_id[i] = (uint16_t)(flags >> IORING_CQE_BUFFER_SHIFT);
  c->held_len[i] = (uint32_t)res;
  if (!(flags & IORING_CQE_F_MORE)) queue_recv(fd, c);
  if (c->tail - c->head == 1) { /* nothing was being sent: start with this one */
    c->sent = 0;
    queue_send(fd, c);
  }
}

static void on_send(int fd, struct conn* c, int res) {
  if (res < 0 || !c->open) {
    drop(fd, c);
    return;
  }
  if (!multishot) {
    c->off += (uint32_t)res;
    if (c->off < c->len) {
      queue_send(fd, c);
    } else {
      queue_recv(fd, c);
    }
    return;
  }
  c->sent += (uint32_t)res;
  if (c->sent < c->held_len[c->head % kHeld]) {
    queue_send(fd, c);
    return;
  }
  give_back(c->held_id[c->head % kHeld]);
  ++c->head;
  c->sent = 0;
  if (c->head != c->tail) queue_send(fd, c);
}

static void on_completion(int listen_fd, uint64_t data, int res, unsigned flags) {
  int fd = (int)(data >> 2);
  switch ((int)(data & 3)) {
    case kAccept: on_accept(listen_fd, res, flags); return;
    case kRecv: on_recv(fd, conn_of(fd), res, flags); return;
    case kSend: on_send(fd, conn_of(fd), res); return;
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

static void usage(const char* program) {
  fprintf(stderr, "usage: %s [--port N] [--seconds S] [--multishot] [--fixed-files]\n", program);
  exit(2);
}

int main(int argc, char** argv) {
  int port = 8007;
  unsigned seconds = 0;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--multishot") == 0) {
      multishot = 1;
    } else if (strcmp(argv[i], "--fixed-files") == 0) {
      fixed_files = 1;
    } else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      port = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds = (unsigned)atoi(argv[++i]);
    } else {
      usage(argv[0]);
    }
  }
  struct io_uring_params params = {0};
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
  params.cq_entries = 4 * kEntries;
  int rc = io_uring_queue_init_params(kEntries, &ring, &params);
  if (rc < 0) die("io_uring_queue_init_params", -rc);
  if (multishot) setup_buffer_ring();
  if (fixed_files && (rc = io_uring_register_files_sparse(&ring, kFixedFiles)) < 0)
    die("io_uring_register_files_sparse", -rc);
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
