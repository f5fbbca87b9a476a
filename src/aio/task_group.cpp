#include "fern/aio/task_group.hpp"

#include <memory>

#include "fern/aio/detail/ready_awaiter.hpp"

namespace fern::aio {

TaskGroup::~TaskGroup() {
  while (Child* c = children_.pop_front()) {
    c->link.unlink();
    c->handle.cancel();
    delete c;
  }
}

void TaskGroup::adopt(TaskHandle<> handle) {
  if (handle.done()) return;
  auto child = std::make_unique<Child>();
  child->handle = std::move(handle);
  child->group = this;
  child->link.fire = &TaskGroup::on_child_done;
  child->link.owner = child.get();
  if (running_++ == 0) idle_.clear();
  children_.push_back(*child);
  child->handle.waitable().add_link(child->link);
  Child* c = child.release();
  if (failure_) c->handle.cancel();
}

void TaskGroup::on_child_done(Link& link) noexcept {
  std::unique_ptr<Child> child(static_cast<Child*>(link.owner));
  TaskGroup* group = child->group;
  child->unlink();
  --group->running_;
  const TaskHandle<>& h = child->handle;
  if (!group->failure_ && !h.successful() && !h.cancelled()) {
    group->failure_ = h.exception();
    group->cancel();
  }
  if (group->running_ == 0) {
    try {
      group->idle_.set();
    } catch (...) {
    }
  }
}

void TaskGroup::cancel() noexcept {
  children_.for_each([](Child& c) { c.handle.cancel(); });
}

Task<void> TaskGroup::join() {
  std::exception_ptr interrupt;
  try {
    while (running_ > 0) co_await detail::ReadyAwaiter(idle_);
  } catch (...) {
    interrupt = std::current_exception();
  }
  if (interrupt) {
    cancel();
    while (running_ > 0) co_await detail::ReadyAwaiter(idle_, TimePoint::max(), /*shielded=*/true);
    std::rethrow_exception(interrupt);
  }
  if (failure_) std::rethrow_exception(failure_);
}

}  // namespace fern::aio
