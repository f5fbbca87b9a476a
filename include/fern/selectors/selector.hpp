// Selector: Python's `selectors` module in C++. A selector watches file descriptors for readiness
// (EVENT_READ, EVENT_WRITE) and hands back the ready ones, each with the key the caller registered:
// the fd, the events it asked for and an arbitrary `data` (a callback, a connection object, ...).
//
// How it blocks: select(timeout) blocks the calling thread in the kernel (select(2), poll(2) or
// epoll_wait(2)) until a registered fd is ready or the timeout passes; no timeout waits forever, a
// zero or negative one only polls. A signal (EINTR) is retried with the time that remains (PEP 475).
// A selector is not thread-safe: one thread registers and selects.
//
// Differences from Python, on purpose:
//  * `register_fd` (register is a keyword) takes an fd; there is no fileobj.
//  * `modify(fd, events)` keeps the key's data; `modify(fd, events, data)` replaces it (Python
//    resets data to None when it is omitted, which in C++ would silently drop a callback).
//  * select() returns copies of the keys, as Python returns immutable key tuples: a callback may
//    unregister or modify any fd, its own included, while the caller walks the ready list.
//
// Errors (Python's in brackets):
//  * std::invalid_argument: events empty or outside EVENT_READ|EVENT_WRITE, a negative fd, an fd
//    registered twice [ValueError, KeyError].
//  * std::out_of_range: get_key, modify or unregister of an fd that is not registered [KeyError].
//  * std::system_error: the kernel refused (system_category: epoll_ctl EPERM on a regular file,
//    ENOMEM, a closed fd in select(2) ...); fern::Errc::closed for any use after close()
//    [ValueError/RuntimeError]; fern::Errc::limit_exceeded from SelectSelector for an fd at or above
//    FD_SETSIZE [ValueError].
//
// Extension point (the cooperative form): BaseSelector keeps the keys and the Python semantics and
// asks its backend for three things: track an fd (add_fd/modify_fd/remove_fd) and wait(). A form that
// parks a greenlet on the hub instead of blocking the thread overrides wait() alone, e.g. by deriving
// from EpollSelector: park until fileno() is readable (or the timeout), then call
// EpollSelector::wait_kernel with a zero timeout to harvest. Nothing here depends on the hub.
#pragma once

#include <any>
#include <cstdint>
#include <optional>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "fern/base/clock.hpp"

namespace fern::selectors {

// A bit mask of readiness kinds, as Python's EVENT_READ / EVENT_WRITE.
using Events = std::uint32_t;
inline constexpr Events EVENT_READ = 1u << 0;
inline constexpr Events EVENT_WRITE = 1u << 1;

// What the caller registered for one fd.
struct SelectorKey {
  int fd = -1;
  Events events = 0;
  std::any data;
};

// fd -> key; callers see it read-only through get_map().
using SelectorMap = std::unordered_map<int, SelectorKey>;
// One ready fd: a copy of its key and the events that are ready (a subset of key.events).
using ReadyEvent = std::pair<SelectorKey, Events>;
using ReadyList = std::vector<ReadyEvent>;

class BaseSelector {
 public:
  BaseSelector(const BaseSelector&) = delete;
  BaseSelector& operator=(const BaseSelector&) = delete;
  virtual ~BaseSelector() = default;

  // Starts watching `fd` for `events`; `data` comes back with every ready report.
  const SelectorKey& register_fd(int fd, Events events, std::any data = {});
  // Changes the events (keeping data) or the events and the data of a registered fd.
  const SelectorKey& modify(int fd, Events events);
  const SelectorKey& modify(int fd, Events events, std::any data);
  // Stops watching `fd` and returns its key. Unregister before closing the fd: the kernel forgets a
  // closed fd on its own, but the selector's map cannot know.
  SelectorKey unregister(int fd);

  // Waits until at least one registered fd is ready or `timeout` passes (nullopt: forever; zero or
  // negative: just look). Returns the ready fds; an empty list means the timeout passed.
  ReadyList select(std::optional<Duration> timeout = std::nullopt);

  const SelectorKey& get_key(int fd) const;
  const SelectorMap& get_map() const noexcept { return keys_; }

  // Forgets every key and releases the kernel object. Idempotent; afterwards get_map() is empty and
  // every other call throws fern::Errc::closed.
  void close() noexcept;
  bool closed() const noexcept { return closed_; }

  // "EpollSelector", "PollSelector", "SelectSelector": for messages and logs.
  virtual const char* name() const noexcept = 0;

 protected:
  BaseSelector() = default;

  // A kernel readiness report before it is matched to a key. events may hold both bits for an error
  // or hangup; select() masks them with the key's events.
  struct FdEvents {
    int fd;
    Events events;
  };

  // The backend: keep the kernel's view in step with the keys. add_fd and modify_fd throw on failure
  // (the key map is left unchanged); remove_fd must not fail (the fd may already be closed).
  virtual void add_fd(int fd, Events events) = 0;
  virtual void modify_fd(int fd, Events old_events, Events new_events) = 0;
  virtual void remove_fd(int fd, Events events) noexcept = 0;
  // Waits once for readiness (the same timeout meaning as select()) and appends reports to `ready`.
  // Returns an errno-style code; EINTR makes select() retry with the remaining time. Override this to
  // wait some other way (a greenlet parked on the hub).
  virtual std::error_code wait(std::optional<Duration> timeout, std::vector<FdEvents>& ready) = 0;
  // Releases the kernel object; called once by close(). Derived destructors call close().
  virtual void release_backend() noexcept {}

 private:
  void throw_if_closed(const char* what) const;
  const SelectorKey& find_key(int fd, const char* what) const;
  SelectorKey& find_key(int fd, const char* what);
  SelectorKey& modify_events(int fd, Events events);

  SelectorMap keys_;
  std::vector<FdEvents> reports_;  // reused across select() calls
  bool closed_ = false;
};

// Milliseconds for poll(2)/epoll_wait(2): -1 for no timeout, 0 to poll, otherwise rounded up (so the
// kernel never returns before the deadline) and capped at INT_MAX.
int timeout_to_milliseconds(std::optional<Duration> timeout) noexcept;

}  // namespace fern::selectors
