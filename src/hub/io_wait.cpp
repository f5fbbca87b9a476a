#include "fern/hub/io_wait.hpp"

#include <unistd.h>

#include "fern/base/error.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/waiter.hpp"

namespace fern {

std::error_code wait_fd(int fd, std::uint32_t events, TimePoint deadline) {
  Hub& hub = Hub::current();
  Waiter waiter;
  IoWait w;
  w.fd = fd;
  w.events = events;
  w.waiter = &waiter;
  Driver& driver = hub.driver();
  if (!driver.start_wait(w)) return {};
  struct Unlink {
    Driver& d;
    IoWait& w;
    ~Unlink() { d.stop_wait(w); }
  } unlink{driver, w};
  if (!waiter.park(deadline)) return make_error_code(Errc::timed_out);
  return w.result;
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
