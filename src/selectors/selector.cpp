#include "fern/selectors/selector.hpp"

#include <algorithm>
#include <climits>
#include <stdexcept>
#include <string>
#include <utility>

#include "fern/base/error.hpp"

namespace fern::selectors {
namespace {

std::string describe(const char* selector, const char* what, int fd, const char* problem) {
  return std::string(selector) + "::" + what + ": fd " + std::to_string(fd) + " " + problem;
}

void check_arguments(const char* selector, const char* what, int fd, Events events) {
  if (fd < 0) throw std::invalid_argument(describe(selector, what, fd, "is not a valid file descriptor"));
  if (events == 0 || (events & ~(EVENT_READ | EVENT_WRITE)) != 0) {
    throw std::invalid_argument(describe(
        selector, what, fd,
        ("given invalid events " + std::to_string(events) + " (want EVENT_READ, EVENT_WRITE or both)")
            .c_str()));
  }
}

}  // namespace

int timeout_to_milliseconds(std::optional<Duration> timeout) noexcept {
  if (!timeout) return -1;
  if (*timeout <= Duration::zero()) return 0;
  // Rounded up: a kernel that wakes a little early would otherwise report nothing before the deadline.
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*timeout).count();
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

void BaseSelector::throw_if_closed(const char* what) const {
  if (closed_)
    throw_error(Errc::closed, (std::string(name()) + "::" + what + ": selector is closed").c_str());
}

const SelectorKey& BaseSelector::find_key(int fd, const char* what) const {
  throw_if_closed(what);
  auto it = keys_.find(fd);
  if (it == keys_.end()) throw std::out_of_range(describe(name(), what, fd, "is not registered"));
  return it->second;
}

SelectorKey& BaseSelector::find_key(int fd, const char* what) {
  return const_cast<SelectorKey&>(std::as_const(*this).find_key(fd, what));
}

const SelectorKey& BaseSelector::register_fd(int fd, Events events, std::any data) {
  throw_if_closed("register_fd");
  check_arguments(name(), "register_fd", fd, events);
  if (keys_.contains(fd))
    throw std::invalid_argument(describe(name(), "register_fd", fd, "is already registered"));
  add_fd(fd, events);  // first, so a refusal by the kernel leaves no key behind
  try {
    return keys_.emplace(fd, SelectorKey{fd, events, std::move(data)}).first->second;
  } catch (...) {
    remove_fd(fd, events);
    throw;
  }
}

SelectorKey& BaseSelector::modify_events(int fd, Events events) {
  SelectorKey& key = find_key(fd, "modify");
  check_arguments(name(), "modify", fd, events);
  if (events != key.events) {
    modify_fd(fd, key.events, events);
    key.events = events;
  }
  return key;
}

const SelectorKey& BaseSelector::modify(int fd, Events events) { return modify_events(fd, events); }

const SelectorKey& BaseSelector::modify(int fd, Events events, std::any data) {
  SelectorKey& key = modify_events(fd, events);
  key.data = std::move(data);
  return key;
}

SelectorKey BaseSelector::unregister(int fd) {
  SelectorKey& key = find_key(fd, "unregister");
  remove_fd(fd, key.events);
  SelectorKey removed = std::move(key);
  keys_.erase(fd);
  return removed;
}

const SelectorKey& BaseSelector::get_key(int fd) const { return find_key(fd, "get_key"); }

ReadyList BaseSelector::select(std::optional<Duration> timeout) {
  throw_if_closed("select");
  std::optional<TimePoint> deadline;
  if (timeout) deadline = deadline_after(*timeout);
  ReadyList ready;
  for (;;) {
    std::optional<Duration> remaining;
    if (deadline) remaining = std::max(*deadline - Clock::now(), Duration::zero());
    reports_.clear();
    const std::error_code ec = wait(remaining, reports_);
    if (ec && ec != std::errc::interrupted) throw std::system_error(ec, std::string(name()) + "::select");
    for (const FdEvents& report : reports_) {
      auto it = keys_.find(report.fd);
      if (it == keys_.end()) continue;  // unregistered since the kernel looked
      if (const Events events = report.events & it->second.events) ready.emplace_back(it->second, events);
    }
    // An interrupted or capped wait ends early; only the deadline ends an empty select().
    if (!ready.empty() || (deadline && Clock::now() >= *deadline)) return ready;
  }
}

void BaseSelector::close() noexcept {
  if (closed_) return;
  closed_ = true;
  keys_.clear();
  reports_.clear();
  release_backend();
}

}  // namespace fern::selectors
