// TimerHeap: the hub's timers, a 4-ary min-heap ordered by (deadline, insertion order) whose nodes
// live inside their owners (a parked greenlet's Waiter, a Timeout scope), so arming a timer never
// allocates (beyond the heap's array) and cancelling one is O(log n) through the index each node
// keeps.
//
// A timer armed with arm_after_poll waits off the heap, in a list, until the hub's next I/O poll
// has run (settle): a wait on I/O usually ends in that poll, and its timer then costs an unlink
// instead of a heap insertion and a removal (from near the top, for the oldest of many equal idle
// timeouts). Its deadline still counts: next_deadline() and pop_expired() see the list.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "fern/base/clock.hpp"
#include "fern/base/intrusive_list.hpp"

namespace fern {

// Its ListNode links it into the list of timers armed after the next poll.
struct Timer : ListNode {
  using Callback = void (*)(Timer&);

  TimePoint deadline{};
  Callback on_expire = nullptr;
  void* owner = nullptr;                             // what the callback acts on
  std::uint64_t seq = 0;                             // ties fire in arming order
  std::size_t index = static_cast<std::size_t>(-1);  // position in the heap, -1 when not on it

  // Listed (armed after the poll) or on the heap.
  bool armed() const noexcept { return index != static_cast<std::size_t>(-1) || linked(); }
  bool waiting_for_poll() const noexcept { return linked(); }
};

class TimerHeap {
 public:
  TimerHeap() = default;
  TimerHeap(const TimerHeap&) = delete;
  TimerHeap& operator=(const TimerHeap&) = delete;
  // Touches no timer still armed, as the heap's array never did: their owners may be gone first.
  ~TimerHeap() { waiting_.abandon(); }

  void arm(Timer& t, TimePoint deadline, Timer::Callback cb);
  // Arms `t` like arm(), but it joins the heap only at the next settle() (see above).
  void arm_after_poll(Timer& t, TimePoint deadline, Timer::Callback cb);
  void cancel(Timer& t) noexcept;
  // Moves the timers armed after the poll onto the heap. The hub calls it after each I/O poll.
  void settle() noexcept;
  bool empty() const noexcept { return heap_.empty() && waiting_.empty(); }
  // Gives the array's memory back when no timer is armed (after a spike).
  void release_memory() noexcept;
  std::size_t size() const noexcept { return heap_.size() + waiting_count_; }
  // The earliest deadline, or one a little earlier (a timer cancelled off the list leaves its
  // deadline counted until the next settle); TimePoint::max() when empty.
  TimePoint next_deadline() const noexcept {
    TimePoint top = heap_.empty() ? TimePoint::max() : heap_[0].deadline;
    return waiting_earliest_ < top ? waiting_earliest_ : top;
  }
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
  void prepare(Timer& t, TimePoint deadline, Timer::Callback cb);

  std::vector<Entry> heap_;  // its capacity also covers the waiting timers: settle never allocates
  std::uint64_t next_seq_ = 0;
  IntrusiveList<Timer> waiting_;  // armed after the poll
  std::size_t waiting_count_ = 0;
  TimePoint waiting_earliest_ = TimePoint::max();
};

}  // namespace fern
