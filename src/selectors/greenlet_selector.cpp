#include "fern/selectors/greenlet_selector.hpp"

#include "fern/base/error.hpp"
#include "fern/hub/io_wait.hpp"

namespace fern::selectors {

std::error_code GreenletSelector::wait(std::optional<Duration> timeout, std::vector<FdEvents>& ready) {
  const TimePoint deadline = !timeout ? TimePoint::max() : deadline_after(*timeout);
  for (;;) {
    // Harvest first: something may be ready already, and the hub's driver only reports changes.
    if (std::error_code ec = wait_kernel(0, ready); ec || !ready.empty()) return ec;
    if (timeout && *timeout <= Duration::zero()) return {};
    std::error_code ec = wait_fd(fileno(), io_events::readable, deadline);
    if (ec == Errc::timed_out) return {};
    if (ec) return ec;
  }
}

void GreenletSelector::release_backend() noexcept {
  // The hub may be watching the epoll fd: tell it before the fd number can be reused.
  if (fileno() >= 0) adopt_fd(fileno());
  EpollSelector::release_backend();
}

}  // namespace fern::selectors
