#include "fern/sync/async_result.hpp"

#include <stdexcept>

#include "fern/hub/hub.hpp"
#include "fern/hub/timeout.hpp"

namespace fern {

bool AsyncResultBase::wait(Duration timeout) {
  if (ready_ || timeout <= Duration::zero()) return ready_;  // a zero timeout never parks
  const TimePoint deadline = deadline_after(timeout);
  while (!ready_) {
    if (!waiters_.wait(deadline)) break;
  }
  return ready_;
}

void AsyncResultBase::set_exception(std::exception_ptr error) {
  if (!error) throw std::invalid_argument("fern: AsyncResult::set_exception needs an exception");
  check_unset();
  error_ = std::move(error);
  mark_ready();
}

void AsyncResultBase::check_unset() const {
  if (ready_) throw std::logic_error("fern: AsyncResult is already set");
}

void AsyncResultBase::mark_ready() {
  ready_ = true;
  waiters_.notify_all();
  fire_links();
}

void AsyncResultBase::wait_for_value(Duration timeout, bool nowait) {
  if (!ready_ && (nowait || !wait(timeout))) throw TimeoutError(nullptr, "fern: AsyncResult is not ready");
  if (error_) std::rethrow_exception(error_);
}

ThreadsafeSetterBase::ThreadsafeSetterBase(AsyncResultBase& result) : hub_(&Hub::current()) {
  if (!result.token_) result.token_ = std::make_shared<AsyncResultBase*>(&result);
  target_ = result.token_;
  hub_->add_external_ref();
}

ThreadsafeSetterBase& ThreadsafeSetterBase::operator=(ThreadsafeSetterBase&& o) noexcept {
  if (this != &o) {
    ThreadsafeSetterBase gone(std::move(*this));  // releases what this one held
    hub_ = std::exchange(o.hub_, nullptr);
    target_ = std::move(o.target_);
  }
  return *this;
}

ThreadsafeSetterBase::~ThreadsafeSetterBase() {
  if (!hub_) return;
  // Unused: the hub stops counting it as pending work, in the hub's thread.
  Hub* hub = hub_;
  try {
    hub->run_callback_threadsafe([hub] { hub->release_external_ref(); });
  } catch (...) {
    // Out of memory: the hub keeps one pending reference too many and cannot raise LoopExit.
  }
}

void ThreadsafeSetterBase::post(std::function<void(AsyncResultBase&)> apply) {
  if (!hub_) throw std::logic_error("fern: this ThreadsafeSetter was already used");
  Hub* hub = hub_;
  hub->run_callback_threadsafe([hub, target = target_, apply = std::move(apply)] {
    hub->release_external_ref();
    if (std::shared_ptr<AsyncResultBase*> alive = target.lock()) apply(**alive);
  });
  hub_ = nullptr;
  target_.reset();
}

void ThreadsafeSetterBase::set_exception(std::exception_ptr error) {
  if (!error) throw std::invalid_argument("fern: set_exception needs an exception");
  post([error](AsyncResultBase& r) { r.set_exception(error); });
}

void ThreadsafeSetter<void>::set() {
  post([](AsyncResultBase& r) { static_cast<AsyncResult<void>&>(r).set(); });
}

}  // namespace fern
