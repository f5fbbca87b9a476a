// Blocking I/O with a thread per client: the classic answer to L7's limit. Each client gets its own
// thread that blocks in recv(); the kernel switches between them. It serves many clients at once, at
// the price of a stack (8 MiB reserved) and a kernel thread per client, and a thread switch (several
// microseconds) for every handoff.
//
//   thread_per_client_echo --port N [--max-clients N] [--seconds S]
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "server_common.hpp"

namespace {

struct Worker {
  int fd = -1;
  long id = 0;
  std::atomic<bool> done{false};
  std::thread thread;
};

std::atomic<long> g_live{0};

void serve_client(Worker& worker) {
  const std::string peer = io_models::peer_name(worker.fd);
  std::printf("client #%ld %s connected (%ld threads serving)\n", worker.id, peer.c_str(), ++g_live);
  char buffer[64 * 1024];
  long long total = 0;
  const char* ending = "closed";
  for (;;) {
    const ssize_t n = ::recv(worker.fd, buffer, sizeof buffer, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      ending = std::strerror(errno);
      break;
    }
    if (!io_models::send_all(worker.fd, buffer, static_cast<std::size_t>(n))) {
      ending = std::strerror(errno);
      break;
    }
    total += n;
  }
  std::printf("client #%ld %s %s after %lld bytes echoed\n", worker.id, peer.c_str(), ending, total);
  --g_live;
  worker.done = true;
}

// Starts a thread with the stop signals blocked, so they land on the accepting thread and wake it.
std::thread start_worker(Worker& worker) {
  sigset_t stop_signals, previous;
  sigemptyset(&stop_signals);
  for (int s : {SIGINT, SIGTERM, SIGALRM}) sigaddset(&stop_signals, s);
  ::pthread_sigmask(SIG_BLOCK, &stop_signals, &previous);
  std::thread thread(serve_client, std::ref(worker));
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return thread;
}

// Joins the workers whose client has left (or all of them), closing their sockets.
void reap(std::list<Worker>& workers, bool all) {
  for (auto it = workers.begin(); it != workers.end();) {
    if (!all && !it->done) {
      ++it;
      continue;
    }
    it->thread.join();
    ::close(it->fd);
    it = workers.erase(it);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const io_models::Options options = io_models::parse_options(argc, argv);
  io_models::install_stop_handlers(options);
  const int listener = io_models::listen_tcp(options.port, /*nonblocking=*/false);
  std::printf("thread-per-client echo listening on 127.0.0.1:%d (one blocking thread per client)\n",
              options.port);

  std::list<Worker> workers;  // a list: workers never move while their thread uses them
  long accepted = 0;
  while (!io_models::stop_requested() && (options.max_clients == 0 || accepted < options.max_clients)) {
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    reap(workers, false);
    if (fd < 0) {
      if (errno != EINTR) std::printf("accept failed: %s\n", std::strerror(errno));
      continue;
    }
    Worker& worker = workers.emplace_back();
    worker.fd = fd;
    worker.id = ++accepted;
    worker.thread = start_worker(worker);
  }
  ::close(listener);
  // With --max-clients, wait for the last clients to leave; on a stop signal, cut them off: shutdown()
  // wakes a worker blocked in recv().
  if (io_models::stop_requested()) {
    for (Worker& worker : workers) ::shutdown(worker.fd, SHUT_RDWR);
  }
  reap(workers, /*all=*/true);
  std::printf("thread-per-client echo: served %ld clients, exiting\n", accepted);
  return 0;
}
