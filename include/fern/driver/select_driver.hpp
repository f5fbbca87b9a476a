// SelectDriver: a Driver on select(2), the oldest multiplexer, kept for portability and for the
// lessons that compare the models. Level-triggered like PollDriver: the master read and write sets
// hold exactly the descriptors some greenlet waits on and are copied for each call. select(2) cannot
// name a descriptor at or above FD_SETSIZE (1024), so start_wait refuses one with a std::system_error
// (Errc::limit_exceeded) that names the limit, instead of corrupting memory as FD_SET would.
#pragma once

#include <sys/select.h>

#include <atomic>
#include <cstddef>
#include <vector>

#include "fern/driver/wake_signal.hpp"
#include "fern/hub/driver.hpp"

namespace fern {

namespace detail {
struct WaitList;
}

class SelectDriver final : public Driver {
 public:
  SelectDriver();
  ~SelectDriver() override;

  DriverKind kind() const noexcept override { return DriverKind::select; }
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
  FdState* find(int fd) noexcept;
  void sync_sets(int fd, FdState& st) noexcept;
  void dispatch(int fd, std::uint32_t ready) noexcept;
  void fail_closed_descriptors() noexcept;

  WakeSignal wake_;
  std::vector<FdState> fds_;  // FD_SETSIZE entries, by descriptor number
  fd_set read_set_;
  fd_set write_set_;
  int max_fd_ = -1;  // highest descriptor in either set (the wake eventfd included)
  std::size_t waiting_ = 0;
};

}  // namespace fern
