// EpollDriver: the default Driver. Each fd is registered once, edge-triggered for both directions
// (one epoll_ctl per descriptor's life, none per wait); an edge that arrives while nobody waits is
// remembered as a sticky "ready" bit, so a later wait returns at once and the caller retries its
// I/O. Cross-thread wake-ups go through an eventfd that is written only when no wake is pending.
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

 private:
  struct FdState {
    IoWait* head = nullptr;  // every wait on this fd, both directions
    std::uint32_t generation = 0;
    bool registered = false;
    bool pollable = true;  // false for regular files: always ready
    bool read_ready = false;
    bool write_ready = false;
  };
  FdState& state(int fd);
  void register_fd(int fd, FdState& st);
  void dispatch(int fd, std::uint32_t generation, std::uint32_t epoll_events) noexcept;
  void complete(FdState& st, std::uint32_t ready, std::error_code result) noexcept;
  void unlink(FdState& st, IoWait& w) noexcept;

  int epfd_ = -1;
  WakeSignal wake_;
  std::vector<FdState> fds_;
  std::size_t waiting_ = 0;
};

}  // namespace fern
