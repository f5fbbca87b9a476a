// UringDriver: a Driver on io_uring (liburing), and the one that performs socket I/O itself.
//
// Operations (submit): fern::io hands it recv, send, sendmsg, accept and connect as IoOps; each
// becomes one SQE whose completion is written into the parked caller's IoOp, with no readiness
// round trip and no system call of its own: SQEs queued during a hub turn reach the kernel in the
// io_uring_enter that waits for the next completions. cancel() (a timeout, a kill) submits an
// IORING_OP_ASYNC_CANCEL and reaps until the operation is done, so no completion ever lands in a
// frame or buffer that is gone; close_fd() cancels a descriptor's operations (they end with
// Errc::closed) before the descriptor is closed.
//
// Readiness (start_wait), for callers that make their own system calls (TLS, the hook, the Redis
// pump, aio): one-shot IORING_OP_POLL_ADD requests, at most one in flight per fd and direction,
// armed when the first greenlet starts waiting and cancelled when the last one leaves.
// Level-triggered: a poll armed on a ready fd completes at once, so no "ready" bits are remembered.
//
// The ring is single-issuer with deferred task work where the kernel has them (6.1): completions
// are then posted only when the hub enters the kernel to collect them, never by interrupting it.
// Cross-thread wake-ups: an eventfd with an IORING_OP_READ always in flight.
// docs/design/drivers.md has the design and its measurements.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "fern/driver/wake_signal.hpp"
#include "fern/hub/driver.hpp"

struct io_uring;
struct io_uring_sqe;

namespace fern {

namespace detail {
struct WaitList;
}

class UringDriver final : public Driver {
 public:
  // Throws std::system_error when the kernel refuses io_uring (kernel.io_uring_disabled, seccomp).
  explicit UringDriver(unsigned entries = 256);
  ~UringDriver() override;

  DriverKind kind() const noexcept override { return DriverKind::uring; }
  void poll(Duration timeout) override;
  void wake() noexcept override;
  bool start_wait(IoWait& w) override;
  void stop_wait(IoWait& w) noexcept override;
  void close_fd(int fd) noexcept override;
  void forget_fd(int fd) noexcept override;
  std::size_t waiting() const noexcept override { return waiting_; }
  void reinit_after_fork() override;

  bool performs_io() const noexcept override { return true; }
  void submit(IoOp& op) override;
  void cancel(IoOp& op) noexcept override;

 private:
  struct FdState;
  enum Direction { read_dir = 0, write_dir = 1 };
  void open_ring(io_uring& ring);
  FdState& state(int fd);
  FdState* find(int fd) noexcept;
  bool sync_polls(int fd, FdState& st) noexcept;
  bool arm_poll(int fd, FdState& st, Direction dir) noexcept;
  bool cancel_poll(int fd, FdState& st, Direction dir) noexcept;
  io_uring_sqe* next_sqe() noexcept;
  void arm_wake() noexcept;
  void reap() noexcept;
  void complete(std::uint64_t user_data, int res) noexcept;
  void drop_fd(int fd) noexcept;
  // Operations (uring_ops.cpp).
  bool queue_op(IoOp& op) noexcept;
  void complete_op(IoOp& op, int res) noexcept;
  void cancel_ops_of(FdState& st) noexcept;
  void queue_cancel(IoOp& op) noexcept;
  void requeue_ops_after_fork() noexcept;

  std::unique_ptr<io_uring> ring_;
  unsigned entries_;               // submission slots, for a ring made again after fork
  std::uint64_t wake_buffer_ = 0;  // the in-flight eventfd read lands here
  bool wake_armed_ = false;
  WakeSignal wake_{WakeSignal::Reader::ring};
  bool skip_cancel_cqe_ = false;  // IOSQE_CQE_SKIP_SUCCESS is available
  bool defer_taskrun_ = false;    // completions need an io_uring_enter with GETEVENTS
  std::vector<FdState> fds_;      // by descriptor number
  std::size_t waiting_ = 0;       // linked waits plus operations in flight
  IoOp* orphans_ = nullptr;       // operations cancelled by close_fd, their completions still due
};

}  // namespace fern
