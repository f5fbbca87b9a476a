// UringDriver: a Driver on io_uring (liburing). The hub's model is readiness ("park until the fd is
// readable"), so this driver asks io_uring for readiness too: one-shot IORING_OP_POLL_ADD requests,
// at most one in flight per fd and direction, armed when the first greenlet starts waiting and
// cancelled (IORING_OP_POLL_REMOVE) when the last one leaves. Requests are queued in the submission
// ring and go to the kernel in the same io_uring_enter that waits for completions, so a wait costs
// no system call of its own. Level-triggered: a poll armed on a ready fd completes at once, so no
// "ready" bits are remembered. Each request's user_data carries the fd and a per-fd sequence number;
// a completion whose number is no longer the armed one (cancelled, or from a closed descriptor) is
// ignored. Cross-thread wake-ups: an eventfd with an IORING_OP_READ always in flight.
// docs/design/drivers.md says why polls and not completion-based I/O, and why one-shot.
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

  std::unique_ptr<io_uring> ring_;
  unsigned entries_;               // submission slots, for a ring made again after fork
  std::uint64_t wake_buffer_ = 0;  // the in-flight eventfd read lands here
  bool wake_armed_ = false;
  WakeSignal wake_{WakeSignal::Reader::ring};
  bool skip_cancel_cqe_ = false;  // IOSQE_CQE_SKIP_SUCCESS is available
  std::vector<FdState> fds_;      // by descriptor number
  std::size_t waiting_ = 0;
};

}  // namespace fern
