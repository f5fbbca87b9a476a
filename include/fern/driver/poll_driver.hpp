// PollDriver: a Driver on poll(2). Level-triggered, so nothing is remembered between waits: the
// pollfd array holds exactly the descriptors some greenlet waits on (plus the wake eventfd), each in
// a stable slot that is updated in place when its waits change, never rebuilt per turn. Costs
// O(watched fds) per poll() call, with no descriptor limit; a portable fallback and the reference
// for what "level-triggered" means to the hub. Cross-thread wake-ups go through an eventfd.
#pragma once

#include <poll.h>

#include <atomic>
#include <cstddef>
#include <vector>

#include "fern/driver/wake_signal.hpp"
#include "fern/hub/driver.hpp"

namespace fern {

namespace detail {
struct WaitList;
}

class PollDriver final : public Driver {
 public:
  PollDriver();
  ~PollDriver() override;

  DriverKind kind() const noexcept override { return DriverKind::poll; }
  void poll(Duration timeout) override;
  void wake() noexcept override;
  bool start_wait(IoWait& w) override;
  void stop_wait(IoWait& w) noexcept override;
  void close_fd(int fd) noexcept override;
  void forget_fd(int fd) noexcept override;
  std::size_t waiting() const noexcept override { return waiting_; }
  void reinit_after_fork() override;
  void release_unused_memory() noexcept override;

  // Entries the per-descriptor table has room for (what it holds in memory); for tests.
  std::size_t fd_table_capacity() const noexcept;

 private:
  struct FdState;
  FdState& state(int fd);
  FdState* find(int fd) noexcept;
  void sync_slot(int fd, FdState& st) noexcept;
  void compact() noexcept;
  void squeeze() noexcept;
  void dispatch(int fd, short revents) noexcept;

  WakeSignal wake_;
  std::vector<FdState> fds_;     // by descriptor number
  std::vector<pollfd> pollfds_;  // slot 0 is the wake eventfd; an unused slot has fd -1
  std::vector<std::size_t> free_slots_;
  std::size_t waiting_ = 0;
};

}  // namespace fern
