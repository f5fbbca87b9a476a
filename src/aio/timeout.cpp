#include "fern/aio/timeout.hpp"

#include "fern/hub/hub.hpp"
#include "fern/hub/timeout.hpp"

namespace fern::aio {

TimeoutScope::TimeoutScope(detail::TaskChain* chain, Duration d) : hub_(&Hub::current()), chain_(chain) {
  timer_.owner = this;
  if (d != kForever && chain_) hub_->timers().arm(timer_, deadline_after(d), &TimeoutScope::on_expire);
}

void TimeoutScope::cancel() noexcept {
  if (timer_.armed()) hub_->timers().cancel(timer_);
  // Expired while the task was suspended on something foreign: the error still waits in the chain.
  if (raised_ && chain_->pending == raised_) chain_->pending = nullptr;
  raised_ = nullptr;
}

void TimeoutScope::on_expire(Timer& t) noexcept {
  auto* self = static_cast<TimeoutScope*>(t.owner);
  self->fired_ = true;
  try {
    self->raised_ = std::make_exception_ptr(TimeoutError(nullptr, "fern: aio timeout scope expired"));
  } catch (...) {
    return;
  }
  self->chain_->interrupt(self->raised_);
}

}  // namespace fern::aio

namespace fern::aio::detail {
void throw_greenlet_join_timeout() { throw TimeoutError(nullptr, "fern: greenlet did not finish in time"); }
}  // namespace fern::aio::detail
