// TimerHeap: the hub's timers, a 4-ary min-heap ordered by (deadline, insertion order) whose nodes
// live inside their owners (a parked greenlet's Waiter, a Timeout scope), so arming a timer never
// allocates (beyond the heap's array) and cancelling one is O(log n) through the index each node
// keeps.
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
  TimePoint next_deadline() const noexcept { return heap_.empty() ? TimePoint::max() : heap_[0].deadline; }
  // Removes and returns the earliest timer if its deadline is <= now, else null.
  Timer* pop_expired(TimePoint now) noexcept;

 private:
  // A node's key is kept beside its pointer: the owners (parked greenlets' frames) are scattered
  // and cache-cold, so comparing keys in the array touches no owner; only a move writes one
  // owner's index. Four children a node: half the levels of a binary heap, and four keys in one
  // or two cache lines.
  struct Entry {
    TimePoint deadline;
    std::uint64_t seq;
    Timer* timer;
  };
  static constexpr std::size_t kArity = 4;
  static bool before(const Entry& a, const Entry& b) noexcept {
    return a.deadline < b.deadline || (a.deadline == b.deadline && a.seq < b.seq);
  }
  void sift_up(std::size_t i, Entry e) noexcept;
  void sift_down(std::size_t i, Entry e) noexcept;
  void place(std::size_t i, const Entry& e) noexcept {
    heap_[i] = e;
    e.timer->index = i;
  }
  void remove_at(std::size_t i) noexcept;

  std::vector<Entry> heap_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace fern
