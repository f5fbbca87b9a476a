// AsCompleted: asyncio.as_completed for spawned tasks. co_await next() yields the tasks in the order
// they finish (each handle done: co_await it, or take(), for its result or exception), and an empty
// handle once every task was handed out:
//
//   AsCompleted<int> results({spawn(a()), spawn(b()), spawn(c())});
//   while (TaskHandle<int> done = co_await results.next()) use(co_await done);
//
// Tasks that had already finished come first, in the order given. Nothing is cancelled: drop the
// remaining handles or cancel them as you see fit. Use it from the tasks of the hub it was made on.
#pragma once

#include <cstddef>
#include <deque>
#include <utility>
#include <vector>

#include "fern/aio/spawn.hpp"
#include "fern/aio/sync.hpp"
#include "fern/aio/task.hpp"
#include "fern/base/clock.hpp"
#include "fern/base/error.hpp"
#include "fern/hub/timeout.hpp"
#include "fern/hub/waitable.hpp"
#include "fern/sync/event.hpp"

namespace fern::aio {

template <class T>
class AsCompleted {
 public:
  explicit AsCompleted(std::vector<TaskHandle<T>> tasks) : tasks_(std::move(tasks)), links_(tasks_.size()) {
    for (std::size_t i = 0; i < tasks_.size(); ++i) {
      links_[i].fire = &AsCompleted::on_finished;
      links_[i].owner = this;
      tasks_[i].waitable().add_link(links_[i]);  // fires at once for a task already done
    }
  }
  AsCompleted(const AsCompleted&) = delete;
  AsCompleted& operator=(const AsCompleted&) = delete;
  ~AsCompleted() {
    for (Link& l : links_) l.unlink();
  }

  // The next task to finish; an empty handle when all were handed out. TimeoutError when `timeout`
  // passes first (the task is handed out by a later call).
  Task<TaskHandle<T>> next(Duration timeout = kForever) {
    if (handed_out_ == tasks_.size()) co_return TaskHandle<T>{};
    if (finished_.empty()) {
      const bool any = co_await until_ready(any_finished_, timeout);
      if (!any) throw TimeoutError(nullptr, "fern: no task finished in time");
    }
    const std::size_t index = finished_.front();
    finished_.pop_front();
    if (finished_.empty()) any_finished_.clear();
    ++handed_out_;
    co_return tasks_[index];
  }
  // Tasks not handed out yet.
  std::size_t remaining() const noexcept { return tasks_.size() - handed_out_; }

 private:
  static void on_finished(Link& link) noexcept {
    auto* self = static_cast<AsCompleted*>(link.owner);
    self->finished_.push_back(static_cast<std::size_t>(&link - self->links_.data()));
    self->any_finished_.set();
  }

  std::vector<TaskHandle<T>> tasks_;
  std::vector<Link> links_;  // sized once: a link's address gives its task's index
  std::deque<std::size_t> finished_;
  Event any_finished_;
  std::size_t handed_out_ = 0;
};

}  // namespace fern::aio
