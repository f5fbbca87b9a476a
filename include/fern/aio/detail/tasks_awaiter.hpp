// TasksAwaiter: suspends a task until enough of a set of spawned tasks have finished (or one has
// failed, when asked), or a deadline passes. One Link per task, in a vector the awaiter owns.
#pragma once

#include <coroutine>
#include <cstddef>
#include <vector>

#include "fern/aio/detail/suspension.hpp"
#include "fern/aio/spawn.hpp"
#include "fern/aio/task.hpp"
#include "fern/base/clock.hpp"
#include "fern/hub/waitable.hpp"

namespace fern::aio::detail {

class TasksAwaiter {
 public:
  TasksAwaiter(std::vector<SpawnedTask*> tasks, std::size_t enough, bool stop_on_failure,
               TimePoint deadline = TimePoint::max(), bool shielded = false)
      : tasks_(std::move(tasks)),
        links_(tasks_.size()),
        enough_(enough),
        stop_on_failure_(stop_on_failure),
        suspension_(deadline, shielded) {}
  TasksAwaiter(const TasksAwaiter&) = delete;
  TasksAwaiter& operator=(const TasksAwaiter&) = delete;
  ~TasksAwaiter() { unlink_all(); }

  bool await_ready() const noexcept { return satisfied(); }
  template <ChainedPromise P>
  bool await_suspend(std::coroutine_handle<P> h) {
    if (suspension_.interrupted(h)) return false;
    suspension_.suspend(h);
    for (std::size_t i = 0; i < tasks_.size(); ++i) {
      if (tasks_[i]->ready()) continue;
      links_[i].fire = &TasksAwaiter::on_finished;
      links_[i].owner = this;
      tasks_[i]->add_link(links_[i]);
    }
    return true;
  }
  // True when the condition holds, false when the deadline passed first.
  bool await_resume() {
    unlink_all();
    suspension_.resume();
    return satisfied();
  }

 private:
  bool satisfied() const noexcept {
    std::size_t finished = 0;
    for (SpawnedTask* t : tasks_) {
      if (!t->ready()) continue;
      if (stop_on_failure_ && !t->successful()) return true;
      ++finished;
    }
    return finished >= enough_;
  }
  void unlink_all() noexcept {
    for (Link& l : links_) l.unlink();
  }
  static void on_finished(Link& link) noexcept {
    auto* self = static_cast<TasksAwaiter*>(link.owner);
    if (self->satisfied()) self->suspension_.waiter().wake();
  }

  std::vector<SpawnedTask*> tasks_;
  std::vector<Link> links_;
  std::size_t enough_;
  bool stop_on_failure_;
  Suspension suspension_;
};

}  // namespace fern::aio::detail
