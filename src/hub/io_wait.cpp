#include "fern/hub/io_wait.hpp"

#include <unistd.h>

#include "fern/base/error.hpp"
#include "fern/hub/fd_watch.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/waiter.hpp"

namespace fern {

std::error_code wait_fd(int fd, std::uint32_t events, TimePoint deadline) {
  Waiter waiter;
  FdWatch watch;
  if (!watch.start(waiter, fd, events)) return {};
  if (!waiter.park(deadline)) return make_error_code(Errc::timed_out);
  return watch.result();
}

namespace {
void wait_or_throw(int fd, std::uint32_t events, Duration timeout, const char* what) {
  std::error_code ec = wait_fd(fd, events, timeout == kForever ? TimePoint::max() : deadline_after(timeout));
  if (ec) throw_error(ec, what);
}
}  // namespace

void wait_readable(int fd, Duration timeout) {
  wait_or_throw(fd, io_events::readable, timeout, "fern: waiting for a readable fd");
}

void wait_writable(int fd, Duration timeout) {
  wait_or_throw(fd, io_events::writable, timeout, "fern: waiting for a writable fd");
}

int close_fd(int fd) noexcept {
  if (Hub* hub = Hub::current_if_exists()) hub->driver().close_fd(fd);
  return ::close(fd);
}

void adopt_fd(int fd) noexcept {
  if (Hub* hub = Hub::current_if_exists()) hub->driver().forget_fd(fd);
}

}  // namespace fern
