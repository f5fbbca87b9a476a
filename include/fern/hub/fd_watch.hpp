// FdWatch: one descriptor watched by the hub's driver on behalf of a Waiter, for as long as the
// FdWatch lives. It is the piece under every wait on a descriptor: wait_fd is one FdWatch and one
// park; a waiter that may also be woken another way (the Redis client's pump, nudged by callers),
// one Waiter on several descriptors (the hook's poll and select), and a suspended task (aio's
// co_await on a descriptor) use it the same way. Whatever ends the wait (the descriptor ready or
// closed, a deadline, a kill, another wake), leaving the scope unlinks it from the driver, so the
// driver never holds a wait whose Waiter is gone.
#pragma once

#include <cstdint>
#include <system_error>

#include "fern/hub/driver.hpp"

namespace fern {

class Waiter;

class FdWatch {
 public:
  FdWatch() = default;
  FdWatch(const FdWatch&) = delete;
  FdWatch& operator=(const FdWatch&) = delete;
  ~FdWatch() { stop(); }

  // Asks `waiter`'s hub driver to wake `waiter` when `fd` has one of `events` (io_events) or is
  // closed. Returns false, watching nothing, when the driver already knows the descriptor is ready
  // (or cannot watch it, as a regular file that is always ready): retry the I/O at once. Throws
  // std::system_error when the descriptor cannot be watched.
  bool start(Waiter& waiter, int fd, std::uint32_t events);
  // Unlinks the wait if the driver still holds it; idempotent.
  void stop() noexcept;

  // True once the driver completed the wait (ready or closed), as opposed to the Waiter being
  // woken some other way.
  bool fired() const noexcept { return driver_ != nullptr && !wait_.linked; }
  // Empty when the descriptor became ready, Errc::closed when it was closed while watched.
  std::error_code result() const noexcept { return wait_.result; }

 private:
  IoWait wait_;
  Driver* driver_ = nullptr;  // set between a start() that linked and stop()
};

}  // namespace fern
