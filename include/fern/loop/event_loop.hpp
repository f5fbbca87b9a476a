// EventLoop: the callback-style event loop (asyncio's loop; the seeds' "event-driven model", L14).
// Handlers go into an event queue with call_soon, call_later or call_at, or are attached to file
// descriptors with add_reader / add_writer; run_forever() dispatches them until stop().
//
// It is the thread's hub, not a second loop: callbacks, timers and greenlets share one scheduler, so
// a program can mix the two styles freely (a greenlet may post callbacks and a callback may spawn
// greenlets). How things block:
//   * run_forever() parks the calling greenlet (usually main) until stop(); meanwhile it keeps the
//     hub awake, so a call_soon_threadsafe() from another thread can still arrive. run_for(timeout)
//     is the same with a time limit.
//   * call_soon / call_later / call_at callbacks run inside the hub and must not block: a blocking
//     fern call there throws Errc::not_in_greenlet. Spawn a greenlet for blocking work.
//   * reader and writer callbacks run on a small watcher greenlet per fd and direction. They are
//     level-triggered, as asyncio's: called once per loop turn for as long as the fd stays ready.
//     One that blocks pauses only its own fd's watching.
// An exception escaping a callback goes to the exception handler (by default printed to stderr)
// and the loop carries on. All members are for the loop's own thread, except
// call_soon_threadsafe(), which any thread may call.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <utility>

#include "fern/base/clock.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/spawn.hpp"

namespace fern::loop {

namespace detail {
struct LoopCore;
struct ScheduledCall;
}  // namespace detail

// A scheduled callback, returned by call_soon / call_later / call_at.
class Handle {
 public:
  Handle() = default;
  // Keeps it from running; a no-op once it has run (or was cancelled, or the loop is gone).
  void cancel() noexcept;
  // True when cancel() came before it ran.
  bool cancelled() const noexcept;
  // When it is due (call_soon: when it was queued).
  TimePoint when() const noexcept;

 private:
  friend class EventLoop;
  explicit Handle(std::shared_ptr<detail::ScheduledCall> call) noexcept : call_(std::move(call)) {}
  std::shared_ptr<detail::ScheduledCall> call_;
};

class EventLoop {
 public:
  using Callback = std::function<void()>;
  using ExceptionHandler = std::function<void(std::exception_ptr)>;

  // A loop on the calling thread's hub.
  EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  // Cancels what is still queued and stops watching every fd.
  ~EventLoop();

  Hub& hub() const noexcept;
  // The loop's clock (monotonic): call_at() takes points on it.
  TimePoint time() const noexcept { return Clock::now(); }

  // Runs `fn` on a later turn of the loop, after what is already queued (FIFO).
  Handle call_soon(Callback fn);
  // Runs `fn` once `delay` has passed, never earlier; equal deadlines run in the order scheduled.
  Handle call_later(Duration delay, Callback fn);
  Handle call_at(TimePoint when, Callback fn);
  // call_soon from any thread; wakes the loop if it sleeps. Dropped if the loop is gone by then.
  void call_soon_threadsafe(Callback fn);

  // Calls `fn` whenever `fd` is readable (writable), until removed or the fd is closed through
  // fern::close_fd. Adding again for the same fd replaces the callback.
  void add_reader(int fd, Callback fn);
  void add_writer(int fd, Callback fn);
  // Stops watching; false when nothing was watching `fd`. The callback is not called again.
  bool remove_reader(int fd);
  bool remove_writer(int fd);

  // Runs the loop (parks the calling greenlet) until stop(). A stop() that came before runs one
  // turn and returns, as in asyncio.
  void run_forever();
  // The same, for at most `timeout`: true when stop() ended it, false when the time ran out.
  bool run_for(Duration timeout);
  // Makes run_forever() return after the current turn. Callable from callbacks and greenlets.
  void stop() noexcept;
  bool is_running() const noexcept;

  // Runs `fn` in a new greenlet and the loop until it finishes; returns its result (or rethrows).
  template <class F>
  auto run_until_complete(F&& fn) {
    auto greenlet = spawn(std::forward<F>(fn));
    RunScope scope(*this);
    return greenlet.get();
  }

  // Where exceptions escaping callbacks go; null restores the default (print to stderr).
  void set_exception_handler(ExceptionHandler handler);

 private:
  class RunScope {
   public:
    explicit RunScope(EventLoop& loop) : loop_(loop) { loop_.enter_run(); }
    RunScope(const RunScope&) = delete;
    RunScope& operator=(const RunScope&) = delete;
    ~RunScope() { loop_.leave_run(); }

   private:
    EventLoop& loop_;
  };
  void enter_run();
  void leave_run() noexcept;
  void check_thread() const;
  bool park_until_stopped(TimePoint deadline);

  std::shared_ptr<detail::LoopCore> core_;
};

}  // namespace fern::loop
