#include "fern/hub/timeout.hpp"

#include "fern/greenlet/greenlet.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/waiter.hpp"

namespace fern {

Timeout::Timeout(Duration d) : hub_(&Hub::current()), greenlet_(Greenlet::current()) {
  timer_.owner = this;
  if (d != kForever) hub_->timers().arm(timer_, deadline_after(d), &Timeout::on_expire);
}

void Timeout::cancel() noexcept {
  if (timer_.armed()) hub_->timers().cancel(timer_);
}

void Timeout::on_expire(Timer& t) noexcept {
  auto* self = static_cast<Timeout*>(t.owner);
  self->fired_ = true;
  // The greenlet is parked (the hub only runs while it is): raise from its wait.
  if (Waiter* w = Waiter::of(*self->greenlet_)) {
    w->fail(std::make_exception_ptr(TimeoutError(self)));
  }
}

}  // namespace fern
