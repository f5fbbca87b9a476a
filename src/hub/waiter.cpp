#include "fern/hub/waiter.hpp"

#include <system_error>

#include "fern/base/error.hpp"
#include "fern/greenlet/greenlet.hpp"
#include "fern/hub/hub.hpp"

namespace fern {

Waiter::Waiter() : hub_(&Hub::current()), greenlet_(Greenlet::current()) { timer_.owner = this; }

Waiter::Waiter(Hub& hub) noexcept : hub_(&hub), greenlet_(nullptr) { timer_.owner = this; }

Waiter::~Waiter() {
  if (timer_.armed()) hub_->timers().cancel(timer_);
}

Waiter* Waiter::of(Greenlet& g) noexcept { return static_cast<Waiter*>(g.scheduler_slot()); }

bool Waiter::park(TimePoint deadline) {
  if (greenlet_ == &hub_->greenlet()) {
    throw_error(Errc::not_in_greenlet, "fern: cannot block inside the hub (a callback or timer)");
  }
  if (hub_->shutting_down()) throw GreenletExit();
  parked_since_ = hub_->now();
  greenlet_->note_stack_use();
  arm(deadline);
  void*& slot = greenlet_->scheduler_slot();
  void* outer = slot;
  slot = this;
  parked_ = true;
  struct Restore {
    Waiter* w;
    void*& slot;
    void* outer;
    ~Restore() {
      slot = outer;
      w->parked_ = false;
      w->scheduled_ = false;
      if (w->timer_.armed()) w->hub_->timers().cancel(w->timer_);
    }
  } restore{this, slot, outer};
  // Something other than this waiter may switch back here (a raw greenlet finishing into its
  // parent); only a wake, a failure or the deadline ends the park.
  do {
    hub_->switch_away();
  } while (!scheduled_);
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  return !timed_out_;
}

void Waiter::arm(TimePoint deadline) {
  timed_out_ = false;
  if (!scheduled_ && deadline != TimePoint::max()) {
    // The loop's cached clock is never ahead of the real one: a deadline it already passed is due.
    if (deadline <= hub_->now()) {
      // Already due: still yield once, as a zero sleep does, but report the timeout.
      timed_out_ = true;
      wake();
    } else {
      hub_->timers().arm_after_poll(timer_, deadline, &Waiter::on_deadline);
    }
  }
}

void Waiter::suspend(std::coroutine_handle<> h, TimePoint deadline) {
  coroutine_ = h;
  parked_since_ = hub_->now();
  parked_ = true;
  arm(deadline);
}

bool Waiter::resumed() {
  parked_ = false;
  scheduled_ = false;
  if (timer_.armed()) hub_->timers().cancel(timer_);
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  return !timed_out_;
}

void Waiter::wake() noexcept {
  if (scheduled_) return;
  scheduled_ = true;
  // Woken before its timer reached the heap: leaving now costs an unlink, and keeps the timer
  // out of the heap that the settle after this poll would otherwise move it into.
  if (timer_.waiting_for_poll()) hub_->timers().cancel(timer_);
  try {
    if (greenlet_) {
      hub_->schedule(*greenlet_);
    } else {
      hub_->schedule(coroutine_);
    }
  } catch (...) {
    std::terminate();  // the ready queue could not grow: nothing sensible remains
  }
}

void Waiter::fail(std::exception_ptr error) noexcept {
  error_ = std::move(error);
  wake();
}

void Waiter::on_deadline(Timer& t) noexcept {
  auto* self = static_cast<Waiter*>(t.owner);
  if (self->scheduled_) return;  // woken first: the wake wins
  self->timed_out_ = true;
  self->wake();
}

}  // namespace fern
