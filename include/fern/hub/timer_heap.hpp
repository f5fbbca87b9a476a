// TimerHeap: the hub's timers, a binary min-heap ordered by (deadline, insertion order) whose nodes
// live inside their owners (a parked greenlet's Waiter, a Timeout scope), so arming a timer never
// allocates and cancelling one is O(log n) through the index each node keeps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "fern/base/clock.hpp"

namespace fern {

struct Timer {
  using Callback = void (*)(Timer&);

  TimePoint deadline{};
  Callback on_expire = nullptr;
  void* owner = nullptr;                             // what the callback acts on
  std::uint64_t seq = 0;                             // ties fire in arming order
  std::size_t index = static_cast<std::size_t>(-1);  // position in the heap, -1 when not armed

  bool armed() const noexcept { return index != static_cast<std::size_t>(-1); }
};

class TimerHeap {
 public:
  void arm(Timer& t, TimePoint deadline, Timer::Callback cb);
  void cancel(Timer& t) noexcept;
  bool empty() const noexcept { return heap_.empty(); }
  std::size_t size() const noexcept { return heap_.size(); }
  // The earliest deadline; TimePoint::max() when empty.
  TimePoint next_deadline() const noexcept { return heap_.empty() ? TimePoint::max() : heap_[0]->deadline; }
  // Removes and returns the earliest timer if its deadline is <= now, else null.
  Timer* pop_expired(TimePoint now) noexcept;

 private:
  static bool before(const Timer* a, const Timer* b) noexcept {
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
  }
  void sift_up(std::size_t i) noexcept;
  void sift_down(std::size_t i) noexcept;
  void place(std::size_t i, Timer* t) noexcept {
    heap_[i] = t;
    t->index = i;
  }
  void remove_at(std::size_t i) noexcept;

  std::vector<Timer*> heap_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace fern
