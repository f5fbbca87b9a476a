// L4, the asynchronous I/O model: an echo server on io_uring (liburing). Where the other servers ask
// "is it ready?" and then do the I/O themselves, this one hands the kernel whole operations (accept
// this, receive into this buffer, send these bytes) as submission queue entries and learns only that
// they are finished, from completion queue entries. The completions drive a small state machine per
// connection: recv done -> send the bytes -> send done -> recv again. One io_uring_enter() call both
// submits new work and waits for completions.
//
// io_uring features used:
//  * IORING_OP_ACCEPT, IORING_OP_RECV, IORING_OP_SEND (Linux 5.5/5.6), checked with a probe at start.
//  * Multishot accept (IORING_ACCEPT_MULTISHOT, Linux 5.19): one SQE yields a CQE per new client, with
//    IORING_CQE_F_MORE while it stays armed. Tried first; a kernel without it fails the SQE with
//    EINVAL and the server falls back to one accept SQE per client (--no-multishot forces that path).
//  * IORING_FEAT_FAST_POLL (5.7), reported at start: a recv on an empty socket waits on an internal
//    poll instead of occupying a kernel worker thread.
//  * IORING_FEAT_NODROP: completions are never lost when the completion queue is full.
//
//   uring_echo --port N [--no-multishot] [--max-clients N] [--seconds S]
#include <liburing.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "server_common.hpp"

namespace {

enum class Op : std::uint8_t { accept, recv, send, cancel };

struct Connection;

// What a completion belongs to; its address is the SQE's user_data.
struct Request {
  Op op;
  Connection* connection;
};

constexpr std::size_t kBufferSize = 64 * 1024;

struct Connection {
  int fd;
  long id;
  std::string peer;
  Request request{Op::recv, this};  // one operation in flight per connection at a time
  // Not value-initialised: the kernel writes only the bytes that arrive, so an idle connection
  // keeps none of its 64 KiB resident.
  std::unique_ptr<char[]> buffer = std::make_unique_for_overwrite<char[]>(kBufferSize);
  std::size_t pending = 0;  // bytes received and being echoed
  std::size_t sent = 0;
  long long echoed = 0;
};

class UringEcho {
 public:
  UringEcho(int listener, const io_models::Options& options)
      : listener_(listener), options_(options), multishot_(options.multishot) {
    io_uring_params params{};
    if (const int rc = io_uring_queue_init_params(256, &ring_, &params); rc < 0) {
      std::fprintf(stderr, "io_uring_queue_init: %s\n", std::strerror(-rc));
      std::exit(1);
    }
    check_opcodes();
    std::printf(
        "io_uring ready: fast poll %s, nodrop %s; accept: %s\n",
        (params.features & IORING_FEAT_FAST_POLL) ? "yes" : "no",
        (params.features & IORING_FEAT_NODROP) ? "yes" : "no",
        multishot_ ? "multishot (falls back to one-shot if the kernel refuses)" : "one-shot per client");
    arm_accept();
  }

  ~UringEcho() {
    finish_in_flight();
    io_uring_queue_exit(&ring_);
    for (auto& [fd, c] : connections_) ::close(fd);
    if (listener_ >= 0) ::close(listener_);
  }

  // Submits what is queued, waits for at least one completion and handles every completion there is.
  bool turn() {
    const int rc = io_uring_submit_and_wait(&ring_, 1);
    if (rc < 0 && rc != -EINTR) {
      std::fprintf(stderr, "io_uring_submit_and_wait: %s\n", std::strerror(-rc));
      return false;
    }
    handle_completions();
    const bool done = options_.max_clients > 0 && accepted_ >= options_.max_clients && connections_.empty();
    return !done && !io_models::stop_requested();
  }

  long accepted() const { return accepted_; }

 private:
  void check_opcodes() {
    io_uring_probe* probe = io_uring_get_probe_ring(&ring_);
    const bool ok = probe && io_uring_opcode_supported(probe, IORING_OP_ACCEPT) &&
                    io_uring_opcode_supported(probe, IORING_OP_RECV) &&
                    io_uring_opcode_supported(probe, IORING_OP_SEND);
    if (probe) io_uring_free_probe(probe);
    if (!ok) {
      std::fprintf(stderr, "this kernel's io_uring lacks accept/recv/send\n");
      std::exit(1);
    }
  }

  io_uring_sqe* next_sqe(Request* request) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (!sqe) {  // the submission queue is full: hand it to the kernel and take a fresh slot
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    if (!sqe) {
      std::fprintf(stderr, "io_uring: no submission slot\n");
      std::exit(1);
    }
    io_uring_sqe_set_data(sqe, request);
    ++in_flight_;
    return sqe;
  }

  void arm_accept() {
    io_uring_sqe* sqe = next_sqe(&accept_request_);
    if (multishot_) {
      io_uring_prep_multishot_accept(sqe, listener_, nullptr, nullptr, SOCK_CLOEXEC);
    } else {
      io_uring_prep_accept(sqe, listener_, nullptr, nullptr, SOCK_CLOEXEC);
    }
  }

  void arm_recv(Connection& c) {
    c.request.op = Op::recv;
    io_uring_prep_recv(next_sqe(&c.request), c.fd, c.buffer.get(), kBufferSize, 0);
  }

  void arm_send(Connection& c) {
    c.request.op = Op::send;
    io_uring_prep_send(next_sqe(&c.request), c.fd, c.buffer.get() + c.sent, c.pending - c.sent, MSG_NOSIGNAL);
  }

  void handle_completions() {
    io_uring_cqe* cqe;
    unsigned head;
    unsigned seen = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      ++seen;
      const bool more = (cqe->flags & IORING_CQE_F_MORE) != 0;
      if (!more) --in_flight_;
      auto* request = static_cast<Request*>(io_uring_cqe_get_data(cqe));
      switch (request->op) {
        case Op::accept: on_accept(cqe->res, more); break;
        case Op::recv: on_recv(*request->connection, cqe->res); break;
        case Op::send: on_send(*request->connection, cqe->res); break;
        case Op::cancel: break;
      }
    }
    io_uring_cq_advance(&ring_, seen);
  }

  void on_accept(int result, bool more) {
    if (result == -EINVAL && multishot_ && accepted_ == 0 && !stopping_) {
      std::printf("kernel refused multishot accept; falling back to one accept SQE per client\n");
      multishot_ = false;
      return arm_accept();
    }
    if (result >= 0) {
      add_connection(result);
    } else if (result != -ECANCELED && !stopping_) {
      std::printf("accept failed: %s\n", std::strerror(-result));
    }
    if (accepting() && (!multishot_ || !more)) arm_accept();  // one-shot, or the kernel ended the multishot
  }

  bool accepting() const {
    return !stopping_ && (options_.max_clients == 0 || accepted_ < options_.max_clients);
  }

  void add_connection(int fd) {
    if (!accepting()) {  // a multishot accept may deliver a few more before it is cancelled
      ::close(fd);
      return;
    }
    auto c = std::make_unique<Connection>();
    c->fd = fd;
    c->id = ++accepted_;
    c->peer = io_models::peer_name(fd);
    std::printf("client #%ld %s connected (%zu connections)\n", c->id, c->peer.c_str(),
                connections_.size() + 1);
    arm_recv(*c);
    connections_.emplace(fd, std::move(c));
    if (!accepting() && multishot_) {
      io_uring_prep_cancel(next_sqe(&cancel_request_), &accept_request_, 0);
    }
  }

  void on_recv(Connection& c, int result) {
    if (result == 0) return drop(c, "closed");
    if (result < 0) return drop(c, std::strerror(-result));
    if (stopping_) return drop(c, "cut off at shutdown");
    c.pending = static_cast<std::size_t>(result);
    c.sent = 0;
    arm_send(c);
  }

  void on_send(Connection& c, int result) {
    if (result < 0) return drop(c, std::strerror(-result));
    c.sent += static_cast<std::size_t>(result);
    c.echoed += result;
    if (stopping_) return drop(c, "cut off at shutdown");
    if (c.sent < c.pending) return arm_send(c);  // a short send: submit the rest
    arm_recv(c);
  }

  void drop(Connection& c, const char* why) {
    std::printf("client #%ld %s %s after %lld bytes echoed\n", c.id, c.peer.c_str(), why, c.echoed);
    const int fd = c.fd;
    ::close(fd);
    connections_.erase(fd);  // nothing of it is in flight: its only operation just completed
  }

  // At exit the kernel may still write into connection buffers; shut every socket down so their
  // operations complete, and collect those completions before anything is freed.
  void finish_in_flight() {
    stopping_ = true;
    if (listener_ >= 0) ::shutdown(listener_, SHUT_RDWR);
    for (auto& [fd, c] : connections_) ::shutdown(fd, SHUT_RDWR);
    io_uring_submit(&ring_);
    for (int tries = 0; in_flight_ > 0 && tries < 100; ++tries) {
      __kernel_timespec timeout{0, 100'000'000};
      io_uring_cqe* cqe;
      const int rc = io_uring_wait_cqe_timeout(&ring_, &cqe, &timeout);
      if (rc < 0 && rc != -ETIME && rc != -EINTR) break;
      handle_completions();
    }
  }

  io_uring ring_{};
  int listener_;
  const io_models::Options& options_;
  bool multishot_;
  bool stopping_ = false;
  long in_flight_ = 0;  // SQEs whose final completion has not arrived
  Request accept_request_{Op::accept, nullptr};
  Request cancel_request_{Op::cancel, nullptr};
  std::unordered_map<int, std::unique_ptr<Connection>> connections_;
  long accepted_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const io_models::Options options = io_models::parse_options(argc, argv, " [--no-multishot]");
  io_models::install_stop_handlers(options);
  const int listener = io_models::listen_tcp(options.port, /*nonblocking=*/false);
  std::printf(
      "L4 io_uring echo listening on 127.0.0.1:%d (completion-based: accept, recv and send are SQEs)\n",
      options.port);
  {
    UringEcho server(listener, options);
    while (server.turn()) {
    }
    std::printf("L4 io_uring echo: served %ld clients, exiting\n", server.accepted());
  }
  return 0;
}
