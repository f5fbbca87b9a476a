// The state behind an EventLoop, shared with what outlives a call into it: queued callbacks hold a
// weak reference (a loop destroyed first makes them no-ops), and each fd watcher greenlet holds its
// FdWatcher.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <unordered_map>

#include "fern/base/intrusive_list.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/timer_heap.hpp"
#include "fern/hub/waiter.hpp"
#include "fern/loop/event_loop.hpp"

namespace fern::loop::detail {

struct LoopCore;

// One callback from call_soon / call_later / call_at. A timed one sits in the hub's TimerHeap (the
// node is `timer`) and in its loop's `timed` list, and keeps itself alive meanwhile (`keep`).
struct ScheduledCall : ListNode {
  EventLoop::Callback fn;
  LoopCore* core = nullptr;  // null once the loop is gone
  TimePoint when{};
  Timer timer;
  std::shared_ptr<ScheduledCall> keep;
  bool cancelled = false;
  bool done = false;  // ran, or was dropped with its loop
};

// One add_reader or add_writer: a greenlet that waits for the fd and calls `callback`.
struct FdWatcher {
  int fd = -1;
  std::uint32_t events = 0;                       // io_events::readable or io_events::writable
  std::shared_ptr<EventLoop::Callback> callback;  // replaced by a second add_* for the same fd
  std::weak_ptr<LoopCore> core;
  GreenletRef<> greenlet;
  bool active = true;                 // false once removed: the greenlet leaves its loop
  bool parked_between_calls = false;  // waiting on the fd or yielding, not inside the callback
};

using WatcherMap = std::unordered_map<int, std::shared_ptr<FdWatcher>>;

struct LoopCore {
  explicit LoopCore(Hub& h) : hub(h), remote(h.remote()) {}

  // Runs a callback the way every loop callback runs: exceptions go to the handler.
  void invoke(const EventLoop::Callback& fn) noexcept;

  Hub& hub;
  RemoteHub remote;
  EventLoop::ExceptionHandler on_exception;
  IntrusiveList<ScheduledCall> timed;
  WatcherMap readers;
  WatcherMap writers;
  Waiter* stop_waiter = nullptr;  // run_forever's, while it runs
  int runs = 0;                   // run_forever / run_until_complete in progress
  bool stop_requested = false;
};

// fd_watcher.cpp
void add_watcher(const std::shared_ptr<LoopCore>& core, WatcherMap& map, int fd, std::uint32_t events,
                 EventLoop::Callback fn);
bool remove_watcher(WatcherMap& map, int fd);
void remove_all_watchers(WatcherMap& map) noexcept;

}  // namespace fern::loop::detail
