// add_reader / add_writer: one watcher greenlet per fd and direction. It loops: "is the fd ready
// now?" (a zero-timeout poll(2)); if so, call the callback and give the loop a turn; if not, park in
// wait_fd until the hub's driver reports it. Asking the kernel directly is what makes the callbacks
// level-triggered whatever the driver is: an edge-triggered driver (epoll) says when readiness
// arrives, not whether it is still there after a callback read only part of the data.
#include <poll.h>

#include <cerrno>
#include <string>

#include "fern/base/error.hpp"
#include "fern/hub/io_wait.hpp"
#include "fern/hub/sleep.hpp"
#include "loop_core.hpp"

namespace fern::loop::detail {
namespace {

enum class Readiness { ready, not_ready, gone };

Readiness check_now(int fd, std::uint32_t events) noexcept {
  pollfd p{fd, static_cast<short>(events & io_events::readable ? POLLIN | POLLRDHUP : POLLOUT), 0};
  int n;
  do {
    n = ::poll(&p, 1, 0);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return Readiness::not_ready;  // on a failure, wait_fd below reports what is wrong
  if (p.revents & POLLNVAL) return Readiness::gone;
  return Readiness::ready;
}

// The watcher's body. It holds its FdWatcher only while it runs (the greenlet's bound arguments
// keep a weak reference), so a finished watcher and its greenlet do not keep each other alive.
void watch(const std::weak_ptr<FdWatcher>& weak) {
  std::shared_ptr<FdWatcher> w = weak.lock();
  if (!w) return;
  while (w->active) {
    Readiness now = check_now(w->fd, w->events);
    if (now == Readiness::gone) return;  // closed behind the loop's back
    if (now == Readiness::not_ready) {
      w->parked_between_calls = true;
      std::error_code ec = wait_fd(w->fd, w->events, TimePoint::max());
      w->parked_between_calls = false;
      if (ec) return;  // closed through fern::close_fd: nothing more will come
      continue;
    }
    std::shared_ptr<EventLoop::Callback> callback = w->callback;  // may be replaced meanwhile
    if (std::shared_ptr<LoopCore> core = w->core.lock()) {
      core->invoke(*callback);
    } else {
      return;
    }
    if (!w->active) return;
    // Once per turn, as asyncio calls a ready fd's callback once per iteration.
    w->parked_between_calls = true;
    yield();
    w->parked_between_calls = false;
  }
}

// Makes the watcher's greenlet leave: at once if it is parked between calls, else (it is inside
// the callback, or has not started) when it next looks at `active`.
void stop(FdWatcher& w) noexcept {
  w.active = false;
  if (w.parked_between_calls && w.greenlet && !w.greenlet->ready()) {
    try {
      w.greenlet->kill(nullptr, /*block=*/false);
    } catch (...) {
      // kill without blocking only schedules; nothing here can fail in practice
    }
  }
}

}  // namespace

void add_watcher(const std::shared_ptr<LoopCore>& core, WatcherMap& map, int fd, std::uint32_t events,
                 EventLoop::Callback fn) {
  if (fd < 0) throw_error(Errc::invalid_argument, "fern: add_reader/add_writer: negative file descriptor");
  auto callback = std::make_shared<EventLoop::Callback>(std::move(fn));
  auto it = map.find(fd);
  if (it != map.end() && !it->second->greenlet->ready()) {
    it->second->callback = std::move(callback);  // asyncio: adding again replaces the callback
    return;
  }
  auto w = std::make_shared<FdWatcher>();
  w->fd = fd;
  w->events = events;
  w->callback = std::move(callback);
  w->core = core;
  SpawnOptions options;
  options.name = (events == io_events::readable ? "reader fd " : "writer fd ") + std::to_string(fd);
  w->greenlet = spawn_with(options, watch, std::weak_ptr<FdWatcher>(w));
  map[fd] = std::move(w);
}

bool remove_watcher(WatcherMap& map, int fd) {
  auto it = map.find(fd);
  if (it == map.end()) return false;
  std::shared_ptr<FdWatcher> w = std::move(it->second);
  map.erase(it);
  stop(*w);
  return true;
}

void remove_all_watchers(WatcherMap& map) noexcept {
  for (auto& [fd, w] : map) stop(*w);
  map.clear();
}

}  // namespace fern::loop::detail
