#include "fern/selectors/epoll_selector.hpp"

#include <unistd.h>

#include <algorithm>
#include <string>

#include "fern/base/error.hpp"

namespace fern::selectors {
namespace {

std::uint32_t to_epoll(Events events) noexcept {
  return ((events & EVENT_READ) ? EPOLLIN : 0u) | ((events & EVENT_WRITE) ? EPOLLOUT : 0u);
}

// As Python: anything beyond plain EPOLLIN (an error, a hangup) also wakes a writer, and anything
// beyond plain EPOLLOUT also wakes a reader, so both learn of the condition from their next call.
Events from_epoll(std::uint32_t events) noexcept {
  Events result = 0;
  if (events & ~static_cast<std::uint32_t>(EPOLLIN)) result |= EVENT_WRITE;
  if (events & ~static_cast<std::uint32_t>(EPOLLOUT)) result |= EVENT_READ;
  return result;
}

[[noreturn]] void throw_ctl_error(const char* what, int fd) {
  throw std::system_error(errno, std::system_category(),
                          std::string("EpollSelector::") + what + ": epoll_ctl on fd " + std::to_string(fd));
}

}  // namespace

EpollSelector::EpollSelector() : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (epoll_fd_ < 0) throw_errno("EpollSelector: epoll_create1");
}

EpollSelector::~EpollSelector() { close(); }

void EpollSelector::add_fd(int fd, Events events) {
  epoll_event ev{};
  ev.events = to_epoll(events);
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) < 0) throw_ctl_error("register_fd", fd);
}

void EpollSelector::modify_fd(int fd, Events, Events new_events) {
  epoll_event ev{};
  ev.events = to_epoll(new_events);
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) < 0) throw_ctl_error("modify", fd);
}

void EpollSelector::remove_fd(int fd, Events) noexcept {
  // Fails with EBADF or ENOENT when the fd was closed first; the kernel has forgotten it already.
  (void)::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

std::error_code EpollSelector::wait(std::optional<Duration> timeout, std::vector<FdEvents>& ready) {
  return wait_kernel(timeout_to_milliseconds(timeout), ready);
}

std::error_code EpollSelector::wait_kernel(int timeout_ms, std::vector<FdEvents>& ready) {
  // One slot per registered fd, as Python sizes maxevents: every ready fd is reported in one call.
  events_.resize(std::max<std::size_t>(get_map().size(), 1));
  const int count = ::epoll_wait(epoll_fd_, events_.data(), static_cast<int>(events_.size()), timeout_ms);
  if (count < 0) return {errno, std::system_category()};
  for (int i = 0; i < count; ++i) ready.push_back({events_[i].data.fd, from_epoll(events_[i].events)});
  return {};
}

void EpollSelector::release_backend() noexcept {
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  epoll_fd_ = -1;
  events_ = {};
}

}  // namespace fern::selectors
