// Event: a flag greenlets wait on, gevent's Event. set() wakes every greenlet in wait() (and
// fires the Waitable links, so fern::wait() over events and greenlets works); clear() resets it.
// wait() parks the calling greenlet, never the thread, until the flag is set or the timeout.
#pragma once

#include <cstdint>

#include "fern/base/clock.hpp"
#include "fern/hub/wait_queue.hpp"
#include "fern/hub/waitable.hpp"

namespace fern {

class Event final : public Waitable {
 public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  // Sets the flag and wakes every waiter; they run on a later turn of the hub.
  void set();
  void clear() noexcept { flag_ = false; }
  bool is_set() const noexcept { return flag_; }
  bool ready() const noexcept override { return flag_; }

  // True once the flag is set; false when `timeout` passed first. A waiter woken by set()
  // returns true even if clear() ran before it did (Python's Event behaves the same).
  bool wait(Duration timeout = kForever);

 private:
  WaitQueue waiters_{"Event", this};
  std::uint64_t sets_ = 0;  // how many times set() raised the flag: tells a wake from a timeout
  bool flag_ = false;
};

}  // namespace fern
