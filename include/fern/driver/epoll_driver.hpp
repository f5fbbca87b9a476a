// EpollDriver: the default Driver. Each fd is registered once, edge-triggered for both directions
// (one epoll_ctl per descriptor's life, none per wait); an edge that arrives while nobody waits is
// remembered as a sticky "ready" bit, so a later wait returns at once and the caller retries its
// I/O. Cross-thread wake-ups go through an eventfd that is written only when no wake is pending.
//
// A descriptor closed with plain close() leaves the epoll set without a word, and a wait on it (or on
// a new descriptor that reuses its number) would never end. So, at most once a second while waits
// are linked, the driver audits the descriptors that had waits but no events since the last look:
// an EPOLL_CTL_MOD that fails with ENOENT shows the registration is gone, and those waits fail with
// Errc::closed_behind_hub. A descriptor found alive is looked at again after 1, 2, 4 ... 64 quiet
// audits, so long-idle connections cost almost nothing; busy ones, none.
//
// The state per descriptor is a table indexed by descriptor number, like the kernel's own. It grows
// to the highest number waited on; after a spike (ten thousand connections, 24 bytes each) the hub
// has the driver drop the entries past the last one still in use (release_unused_memory), which
// is safe because no entry needs to outlive its descriptor (see the generations in the .cpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "fern/driver/wake_signal.hpp"
#include "fern/hub/driver.hpp"

namespace fern {

class EpollDriver final : public Driver {
 public:
  EpollDriver();
  ~EpollDriver() override;

  DriverKind kind() const noexcept override { return DriverKind::epoll; }
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
  std::size_t fd_table_capacity() const noexcept { return fds_.capacity(); }

 private:
  struct FdState {
    IoWait* head = nullptr;        // every wait on this fd, both directions
    std::uint32_t generation = 0;  // of its registration (register_fd), carried in the epoll token
    bool registered = false;
    bool pollable = true;  // false for regular files: always ready
    bool read_ready = false;
    bool write_ready = false;
    bool active = false;           // an event came since the last audit
    std::uint8_t audit_skips = 0;  // quiet audits to skip before the next check
    std::uint8_t audit_backoff = 0;
  };
  FdState& state(int fd);
  static int open_epoll(int wake_fd);
  void register_fd(int fd, FdState& st);
  void dispatch(int fd, std::uint32_t generation, std::uint32_t epoll_events) noexcept;
  void complete(FdState& st, std::uint32_t ready, std::error_code result) noexcept;
  void unlink(FdState& st, IoWait& w) noexcept;
  Duration audit_if_due(Duration timeout) noexcept;
  void audit() noexcept;

  int epfd_ = -1;
  WakeSignal wake_;
  std::vector<FdState> fds_;
  std::uint32_t generations_ = 0;  // the last generation handed to a registration, driver-wide
  std::size_t waiting_ = 0;
  TimePoint next_audit_ = TimePoint::min();
};

}  // namespace fern
