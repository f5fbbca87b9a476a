/* raw_epoll_echo: the physical limit of the readiness model, for bench/echo. One thread, one
 * edge-triggered epoll set; each descriptor is registered once for both directions, so no
 * epoll_ctl is made per request. A readable connection is drained to EAGAIN through one shared
 * 64 KiB buffer and each chunk is written straight back; only a write the kernel cannot take whole
 * is copied aside, and that connection stops reading until the EPOLLOUT edge lets it flush.
 *
 *   raw_epoll_echo [--port N] [--seconds S]     (port 0: any free port; printed on stdout)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kBufferSize = 64 * 1024, kMaxEvents = 256 };

struct pending {
  char* data; /* bytes the kernel did not take yet; NULL when none */
  size_t off, len;
};

static struct pending* pendings; /* indexed by fd */
static size_t pendings_size;
static char buffer[kBufferSize];

static void die(const char* what) {
  perror(what);
  exit(1);
}

static struct pending* pending_of(int fd) {
  if ((size_t)fd >= pendings_size) {
    size_t n = (size_t)fd * 2 + 64;
    pendings = realloc(pendings, n * sizeof *pendings);
    if (!pendings) die("realloc");
    memset(pendings + pendings_size, 0, (n - pendings_size) * sizeof *pendings);
    pendings_size = n;
  }
  return &pendings[fd];
}

static void drop(int fd) {
  struct pending* p = pending_of(fd);
  free(p->data);
  p->data = NULL;
  close(fd); /* also removes it from the epoll set */
}

/* Sends what is pending; 1 when all of it went, 0 when the socket is full, -1 on error. */
static int flush(int fd, struct pending* p) {
  while (p->off < p->len) {
    ssize_t n = send(fd, p->data + p->off, p->len - p->off, MSG_NOSIGNAL);
    if (n > 0) {
      p->off += (size_t)n;
    } else if (errno == EAGAIN) {
      return 0;
    } else if (errno != EINTR) {
      return -1;
    }
  }
  free(p->data);
  p->data = NULL;
  return 1;
}

/* Keeps data[0, len) to send when the socket drains. */
static void keep(struct pending* p, const char* data, size_t len) {
  p->data = malloc(len);
  if (!p->data) die("malloc");
  memcpy(p->data, data, len);
  p->off = 0;
  p->len = len;
}

static void on_connection(int fd) {
  struct pending* p = pending_of(fd);
  if (p->data) {
    int r = flush(fd, p);
    if (r < 0) {
      drop(fd);
      return;
    }
    if (r == 0) return; /* wait for the EPOLLOUT edge */
  }
  for (;;) {
    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      ssize_t sent = send(fd, buffer, (size_t)n, MSG_NOSIGNAL);
      if (sent == n) continue;
      if (sent < 0 && errno != EAGAIN) {
        drop(fd);
        return;
      }
      if (sent < 0) sent = 0;
      keep(p, buffer + sent, (size_t)(n - sent));
      return; /* stop reading until the backlog is written */
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      drop(fd);
      return;
    }
    if (errno == EAGAIN) return;
  }
}

static void on_listener(int epfd, int listen_fd) {
  for (;;) {
    int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN) return;
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) {
        perror("accept4");
        return;
      }
      die("accept4");
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pending_of(fd)->data = NULL;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.fd = fd};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl(ADD)");
  }
}

static int listen_on(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr*)&addr, sizeof addr) != 0) die("bind");
  if (listen(fd, SOMAXCONN) != 0) die("listen");
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
  int listen_fd = listen_on(port);
  if (seconds > 0) alarm(seconds); /* SIGALRM's default action ends the process */
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die("epoll_create1");
  struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.fd = listen_fd};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev) != 0) die("epoll_ctl(listener)");

  struct epoll_event events[kMaxEvents];
  for (;;) {
    int n = epoll_wait(epfd, events, kMaxEvents, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd == listen_fd) {
        on_listener(epfd, listen_fd);
      } else {
        on_connection(events[i].data.fd);
      }
    }
  }
}
