#include "fern/hub/fd_watch.hpp"

#include <utility>

#include "fern/hub/hub.hpp"
#include "fern/hub/waiter.hpp"

namespace fern {

bool FdWatch::start(Waiter& waiter, int fd, std::uint32_t events) {
  stop();
  wait_ = IoWait{};
  wait_.fd = fd;
  wait_.events = events;
  wait_.waiter = &waiter;
  waiter.waits_on({"fd", nullptr, fd, events});
  Driver& driver = waiter.hub().driver();
  if (!driver.start_wait(wait_)) return false;
  driver_ = &driver;
  return true;
}

void FdWatch::stop() noexcept {
  if (driver_) std::exchange(driver_, nullptr)->stop_wait(wait_);
}

}  // namespace fern
