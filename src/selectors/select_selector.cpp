#include "fern/selectors/select_selector.hpp"

#include <algorithm>
#include <string>

#include "fern/base/error.hpp"

namespace fern::selectors {

SelectSelector::SelectSelector() {
  FD_ZERO(&readers_);
  FD_ZERO(&writers_);
}

SelectSelector::~SelectSelector() { close(); }

void SelectSelector::set_bits(int fd, Events events) noexcept {
  FD_CLR(fd, &readers_);
  FD_CLR(fd, &writers_);
  if (events & EVENT_READ) FD_SET(fd, &readers_);
  if (events & EVENT_WRITE) FD_SET(fd, &writers_);
}

void SelectSelector::add_fd(int fd, Events events) {
  // FD_SET past FD_SETSIZE writes outside the fd_set; refuse before touching it.
  if (fd >= FD_SETSIZE) {
    throw_error(Errc::limit_exceeded,
                ("SelectSelector::register_fd: fd " + std::to_string(fd) + " is not below FD_SETSIZE (" +
                 std::to_string(FD_SETSIZE) + "); use PollSelector or EpollSelector for high fds")
                    .c_str());
  }
  set_bits(fd, events);
}

void SelectSelector::modify_fd(int fd, Events, Events new_events) { set_bits(fd, new_events); }

void SelectSelector::remove_fd(int fd, Events) noexcept { set_bits(fd, 0); }

std::error_code SelectSelector::wait(std::optional<Duration> timeout, std::vector<FdEvents>& ready) {
  int max_fd = -1;
  for (const auto& [fd, key] : get_map()) max_fd = std::max(max_fd, fd);
  fd_set readable = readers_;
  fd_set writable = writers_;
  timeval tv{};
  timeval* tvp = nullptr;
  if (timeout) {
    // Rounded up to the microsecond, as poll rounds up to the millisecond.
    const auto us =
        std::chrono::ceil<std::chrono::microseconds>(std::max(*timeout, Duration::zero())).count();
    tv.tv_sec = static_cast<time_t>(us / 1'000'000);
    tv.tv_usec = static_cast<suseconds_t>(us % 1'000'000);
    tvp = &tv;
  }
  const int count = ::select(max_fd + 1, &readable, &writable, nullptr, tvp);
  if (count < 0) return {errno, std::system_category()};
  if (count == 0) return {};
  for (const auto& [fd, key] : get_map()) {
    Events events = 0;
    if (FD_ISSET(fd, &readable)) events |= EVENT_READ;
    if (FD_ISSET(fd, &writable)) events |= EVENT_WRITE;
    if (events) ready.push_back({fd, events});
  }
  return {};
}

}  // namespace fern::selectors
