// TaskGroup: structured concurrency for tasks, asyncio.TaskGroup. Tasks spawned into a group run
// concurrently; co_await group.join() suspends until every one has finished. The first child to
// fail (with anything but a cancellation) gets the rest cancelled at once, and join() rethrows that
// failure once all have finished. If the task awaiting join() is cancelled or its timeout fires,
// every child is cancelled and awaited before the interrupt propagates: no child outlives the join.
//
//   aio::TaskGroup group;
//   group.spawn(fetch(a));
//   group.spawn(fetch(b));
//   co_await group.join();
//
// A group destroyed with children still running (join() forgotten, or the frame unwound) cancels
// them; they finish on their own afterwards.
#pragma once

#include <cstddef>
#include <exception>

#include "fern/aio/spawn.hpp"
#include "fern/aio/task.hpp"
#include "fern/base/intrusive_list.hpp"
#include "fern/hub/waitable.hpp"
#include "fern/sync/event.hpp"

namespace fern::aio {

class TaskGroup {
 public:
  TaskGroup() = default;
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;
  ~TaskGroup();

  // Starts `task` in the group; one spawned after a failure is cancelled at once.
  template <class T>
  TaskHandle<T> spawn(Task<T> task) {
    TaskHandle<T> handle = aio::spawn(std::move(task));
    adopt(handle);
    return handle;
  }
  Task<void> join();
  // Cancels every child still running.
  void cancel() noexcept;

  std::size_t running() const noexcept { return running_; }
  // The first child failure, or null.
  std::exception_ptr failure() const noexcept { return failure_; }

 private:
  struct Child : ListNode {
    TaskHandle<> handle;
    Link link;
    TaskGroup* group = nullptr;
  };
  void adopt(TaskHandle<> handle);
  static void on_child_done(Link& link) noexcept;

  IntrusiveList<Child> children_;  // still running
  std::size_t running_ = 0;
  std::exception_ptr failure_;
  Event idle_;  // set while nothing runs
};

}  // namespace fern::aio
