#include "fern/loop/event_loop.hpp"

#include <cstdio>

#include "fern/base/error.hpp"
#include "fern/hub/io_wait.hpp"
#include "fern/hub/sleep.hpp"
#include "loop_core.hpp"

namespace fern::loop {
namespace detail {

void LoopCore::invoke(const EventLoop::Callback& fn) noexcept {
  try {
    fn();
  } catch (...) {
    std::exception_ptr error = std::current_exception();
    try {
      if (on_exception) {
        on_exception(error);
        return;
      }
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fern: exception in an event loop callback: %s\n", e.what());
    } catch (...) {
      std::fprintf(stderr, "fern: non-standard exception in an event loop callback\n");
    }
  }
}

namespace {

void on_timer(Timer& t) noexcept {
  auto* call = static_cast<ScheduledCall*>(t.owner);
  std::shared_ptr<ScheduledCall> self = std::move(call->keep);  // alive until the callback returns
  call->unlink();
  call->done = true;
  if (call->core) call->core->invoke(call->fn);
}

// Takes a timed call out of the hub's heap and its loop's list.
void disarm(ScheduledCall& call) noexcept {
  if (call.timer.armed()) call.core->hub.timers().cancel(call.timer);
  call.unlink();
  call.keep.reset();  // the caller holds another reference
}

}  // namespace
}  // namespace detail

void Handle::cancel() noexcept {
  if (!call_ || call_->done || call_->cancelled) return;
  call_->cancelled = true;
  if (call_->keep) detail::disarm(*call_);
}

bool Handle::cancelled() const noexcept { return call_ && call_->cancelled; }

TimePoint Handle::when() const noexcept { return call_ ? call_->when : TimePoint{}; }

EventLoop::EventLoop() : core_(std::make_shared<detail::LoopCore>(Hub::current())) {}

EventLoop::~EventLoop() {
  detail::LoopCore& core = *core_;
  core.timed.for_each([](detail::ScheduledCall& call) {
    call.done = true;
    std::shared_ptr<detail::ScheduledCall> hold = call.keep;
    detail::disarm(call);
    call.core = nullptr;
  });
  detail::remove_all_watchers(core.readers);
  detail::remove_all_watchers(core.writers);
}

Hub& EventLoop::hub() const noexcept { return core_->hub; }

void EventLoop::check_thread() const {
  if (Hub::current_if_exists() != &core_->hub) {
    throw_error(Errc::wrong_thread, "fern: an EventLoop is used from a thread other than its own");
  }
}

Handle EventLoop::call_soon(Callback fn) {
  check_thread();
  auto call = std::make_shared<detail::ScheduledCall>();
  call->fn = std::move(fn);
  call->core = core_.get();
  call->when = Clock::now();
  // A weak reference: callbacks still queued when the loop goes away must not run.
  std::weak_ptr<detail::LoopCore> weak = core_;
  core_->hub.call_soon([weak, call] {
    call->done = true;
    if (call->cancelled) return;
    if (auto core = weak.lock()) core->invoke(call->fn);
  });
  return Handle(std::move(call));
}

Handle EventLoop::call_later(Duration delay, Callback fn) {
  return call_at(deadline_after(delay), std::move(fn));
}

Handle EventLoop::call_at(TimePoint when, Callback fn) {
  check_thread();
  auto call = std::make_shared<detail::ScheduledCall>();
  call->fn = std::move(fn);
  call->core = core_.get();
  call->when = when;
  call->timer.owner = call.get();
  core_->hub.timers().arm(call->timer, when, &detail::on_timer);
  call->keep = call;
  core_->timed.push_back(*call);
  return Handle(std::move(call));
}

void EventLoop::call_soon_threadsafe(Callback fn) {
  std::weak_ptr<detail::LoopCore> weak = core_;
  core_->remote.call([weak, fn = std::move(fn)] {
    if (auto core = weak.lock()) core->invoke(fn);
  });
}

void EventLoop::add_reader(int fd, Callback fn) {
  check_thread();
  detail::add_watcher(core_, core_->readers, fd, io_events::readable, std::move(fn));
}

void EventLoop::add_writer(int fd, Callback fn) {
  check_thread();
  detail::add_watcher(core_, core_->writers, fd, io_events::writable, std::move(fn));
}

bool EventLoop::remove_reader(int fd) {
  check_thread();
  return detail::remove_watcher(core_->readers, fd);
}

bool EventLoop::remove_writer(int fd) {
  check_thread();
  return detail::remove_watcher(core_->writers, fd);
}

void EventLoop::enter_run() {
  check_thread();
  if (core_->runs > 0) throw_error(Errc::invalid_argument, "fern: this EventLoop is already running");
  ++core_->runs;
}

void EventLoop::leave_run() noexcept { --core_->runs; }

bool EventLoop::is_running() const noexcept { return core_->runs > 0; }

void EventLoop::run_forever() { run_for(kForever); }

bool EventLoop::run_for(Duration timeout) {
  return park_until_stopped(timeout == kForever ? TimePoint::max() : deadline_after(timeout));
}

bool EventLoop::park_until_stopped(TimePoint deadline) {
  RunScope scope(*this);
  detail::LoopCore* core = core_.get();
  if (core->stop_requested) {
    core->stop_requested = false;
    sleep(Duration::zero());  // one turn: what is queued now runs
    return true;
  }
  // While it runs, the loop waits for other threads too (call_soon_threadsafe), as asyncio's does,
  // instead of reporting "nothing left to run".
  core->hub.add_external_ref();
  Waiter waiter;
  core->stop_waiter = &waiter;
  struct Restore {
    detail::LoopCore& core;
    ~Restore() {
      core.stop_waiter = nullptr;
      core.hub.release_external_ref();
    }
  } restore{*core};
  return waiter.park(deadline);
}

void EventLoop::stop() noexcept {
  if (core_->stop_waiter) {
    core_->stop_waiter->wake();
  } else {
    core_->stop_requested = true;
  }
}

void EventLoop::set_exception_handler(ExceptionHandler handler) {
  check_thread();
  core_->on_exception = std::move(handler);
}

}  // namespace fern::loop
