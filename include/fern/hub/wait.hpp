// wait / iwait: wait for several Waitables at once (finished greenlets, set Events, AsyncResults
// with values). wait() returns those ready when `count` of them are (all by default) or the
// timeout passes; IWait hands them out one at a time in the order they become ready.
#pragma once

#include <cstddef>
#include <deque>
#include <initializer_list>
#include <limits>
#include <span>
#include <vector>

#include "fern/base/clock.hpp"
#include "fern/hub/wait_queue.hpp"
#include "fern/hub/waitable.hpp"

namespace fern {

std::vector<Waitable*> wait(std::span<Waitable* const> objects, Duration timeout = kForever,
                            std::size_t count = std::numeric_limits<std::size_t>::max());
// fern::wait({&event, greenlet.get_pointer()})
inline std::vector<Waitable*> wait(std::initializer_list<Waitable*> objects, Duration timeout = kForever,
                                   std::size_t count = std::numeric_limits<std::size_t>::max()) {
  return wait(std::span<Waitable* const>(objects.begin(), objects.size()), timeout, count);
}

class IWait {
 public:
  explicit IWait(std::span<Waitable* const> objects, Duration timeout = kForever);
  IWait(const IWait&) = delete;
  IWait& operator=(const IWait&) = delete;
  ~IWait();

  // The next object to become ready, or null when all were handed out or the timeout passed.
  Waitable* next();

 private:
  static void on_ready(Link& link) noexcept;
  struct Entry {
    Link link;
    Waitable* object;
    IWait* owner;
  };
  std::vector<Entry> entries_;
  std::deque<Waitable*> ready_;
  WaitQueue wake_{"wait"};
  TimePoint deadline_;
  std::size_t handed_out_ = 0;
};

}  // namespace fern
