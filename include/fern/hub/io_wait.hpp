// Waiting for file descriptors: park the current greenlet until an fd is readable or writable.
// The caller's I/O is non-blocking; it tries first and waits only on EAGAIN, then retries (a wait
// may return without the fd being ready, exactly as a spurious wake-up). Closing an fd through
// close_fd() wakes every greenlet waiting on it with Errc::closed instead of leaving it hanging.
#pragma once

#include <cstdint>
#include <system_error>

#include "fern/base/clock.hpp"
#include "fern/hub/driver.hpp"

namespace fern {

// Parks until `fd` has one of `events` (io_events), the deadline passes (Errc::timed_out) or the fd
// is closed (Errc::closed). An fd that was ever waited on must be closed with close_fd(), never plain
// ::close(): the driver keeps per-fd state (epoll registration) that a reused number would inherit.
std::error_code wait_fd(int fd, std::uint32_t events, TimePoint deadline) noexcept(false);

// Throwing forms: std::system_error with Errc::timed_out or Errc::closed.
void wait_readable(int fd, Duration timeout = kForever);
void wait_writable(int fd, Duration timeout = kForever);

// Wakes the waiters of `fd` with Errc::closed, forgets it in the driver, and closes it.
int close_fd(int fd) noexcept;
// Tells the driver `fd` is a new descriptor (after socket(), accept(), dup()).
void adopt_fd(int fd) noexcept;

}  // namespace fern
