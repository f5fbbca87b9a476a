#include "fern/aio/spawn.hpp"

#include "fern/hub/timeout.hpp"

namespace fern::aio::detail {

void throw_task_join_timeout() { throw TimeoutError(nullptr, "fern: task did not finish in time"); }

SpawnedTask::SpawnedTask(Hub& hub, std::coroutine_handle<> frame, TaskPromiseBase& promise) noexcept
    : hub_(hub), frame_(frame), promise_(&promise) {
  promise.bind_root(&chain_, &SpawnedTask::on_done, this);
}

SpawnedTask::~SpawnedTask() {
  if (frame_) frame_.destroy();
}

void SpawnedTask::start() {
  add_ref();
  self_ref_ = true;
  hub_.track(*this);
  hub_.schedule(frame_);
}

bool SpawnedTask::cancelled() const noexcept {
  if (unwound_) return true;
  if (!finished_ || !promise_->exception()) return false;
  std::exception_ptr e = promise_->exception();
  try {
    std::rethrow_exception(e);
  } catch (const CancelledError&) {
    return true;
  } catch (...) {
    return false;
  }
}

std::exception_ptr SpawnedTask::exception() const noexcept {
  if (!finished_) return nullptr;
  if (unwound_) return std::make_exception_ptr(CancelledError());
  return promise_->exception();
}

std::coroutine_handle<> SpawnedTask::result_frame() const {
  if (unwound_) throw CancelledError();
  return frame_;
}

bool SpawnedTask::cancel() noexcept {
  if (finished_) return false;
  try {
    chain_.interrupt(std::make_exception_ptr(CancelledError()));
  } catch (...) {
    return false;  // no memory for the exception: nothing sensible to raise
  }
  return true;
}

bool SpawnedTask::join(Duration timeout) {
  if (finished_) return true;
  struct Keep {
    SpawnedTask* t;
    ~Keep() { t->release(); }
  } keep{this};
  add_ref();
  const TimePoint deadline = timeout == kForever ? TimePoint::max() : deadline_after(timeout);
  while (!finished_) {
    if (!joiners_.wait(deadline)) return finished_;
  }
  return true;
}

// Called from the task's final suspension: its frame is suspended, so the last reference may go.
void SpawnedTask::on_done(void* self) noexcept {
  auto* t = static_cast<SpawnedTask*>(self);
  t->finished_ = true;
  t->ListNode::unlink();  // no longer a hub resident
  t->joiners_.notify_all();
  t->fire_links();
  if (std::exchange(t->self_ref_, false)) t->release();
}

// The hub is going away with this task still suspended: destroying its frame unwinds it (every
// awaitable unregisters in its destructor), as greenlets are unwound with GreenletExit.
void SpawnedTask::unwind_at_shutdown() noexcept {
  // The self-reference (held while unfinished) keeps this alive until the last line.
  frame_.destroy();
  frame_ = nullptr;
  unwound_ = true;
  finished_ = true;
  joiners_.notify_all();
  fire_links();
  if (std::exchange(self_ref_, false)) release();
}

}  // namespace fern::aio::detail
