#include "fern/selectors/poll_selector.hpp"

namespace fern::selectors {
namespace {

short to_poll(Events events) noexcept {
  return static_cast<short>(((events & EVENT_READ) ? POLLIN : 0) | ((events & EVENT_WRITE) ? POLLOUT : 0));
}

// As EpollSelector: POLLHUP, POLLERR and POLLNVAL wake both a reader and a writer.
Events from_poll(short revents) noexcept {
  Events result = 0;
  if (revents & ~POLLIN) result |= EVENT_WRITE;
  if (revents & ~POLLOUT) result |= EVENT_READ;
  return result;
}

}  // namespace

PollSelector::~PollSelector() { close(); }

void PollSelector::add_fd(int fd, Events events) {
  pollfds_.push_back(pollfd{fd, to_poll(events), 0});
  try {
    slot_of_.emplace(fd, pollfds_.size() - 1);
  } catch (...) {
    pollfds_.pop_back();
    throw;
  }
}

void PollSelector::modify_fd(int fd, Events, Events new_events) {
  pollfds_[slot_of_.at(fd)].events = to_poll(new_events);
}

void PollSelector::remove_fd(int fd, Events) noexcept {
  auto it = slot_of_.find(fd);
  if (it == slot_of_.end()) return;
  const std::size_t hole = it->second;
  slot_of_.erase(it);
  if (hole + 1 != pollfds_.size()) {
    pollfds_[hole] = pollfds_.back();
    slot_of_[pollfds_[hole].fd] = hole;  // the key exists, so this cannot allocate
  }
  pollfds_.pop_back();
}

std::error_code PollSelector::wait(std::optional<Duration> timeout, std::vector<FdEvents>& ready) {
  const int count = ::poll(pollfds_.data(), pollfds_.size(), timeout_to_milliseconds(timeout));
  if (count < 0) return {errno, std::system_category()};
  for (const pollfd& p : pollfds_) {
    if (p.revents != 0) ready.push_back({p.fd, from_poll(p.revents)});
  }
  return {};
}

void PollSelector::release_backend() noexcept {
  pollfds_ = {};
  slot_of_ = {};
}

}  // namespace fern::selectors
