#include "fern/hub/timer_heap.hpp"

namespace fern {

void TimerHeap::arm(Timer& t, TimePoint deadline, Timer::Callback cb) {
  if (t.armed()) cancel(t);
  t.deadline = deadline;
  t.on_expire = cb;
  t.seq = next_seq_++;
  heap_.push_back(&t);
  t.index = heap_.size() - 1;
  sift_up(t.index);
}

void TimerHeap::cancel(Timer& t) noexcept {
  if (t.armed()) remove_at(t.index);
}

Timer* TimerHeap::pop_expired(TimePoint now) noexcept {
  if (heap_.empty() || heap_[0]->deadline > now) return nullptr;
  Timer* t = heap_[0];
  remove_at(0);
  return t;
}

void TimerHeap::remove_at(std::size_t i) noexcept {
  Timer* gone = heap_[i];
  Timer* last = heap_.back();
  heap_.pop_back();
  gone->index = static_cast<std::size_t>(-1);
  if (last == gone) return;
  place(i, last);
  sift_up(i);
  sift_down(last->index);
}

void TimerHeap::sift_up(std::size_t i) noexcept {
  Timer* t = heap_[i];
  while (i > 0) {
    std::size_t parent = (i - 1) / 2;
    if (!before(t, heap_[parent])) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, t);
}

void TimerHeap::sift_down(std::size_t i) noexcept {
  Timer* t = heap_[i];
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && before(heap_[child + 1], heap_[child])) ++child;
    if (!before(heap_[child], t)) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, t);
}

}  // namespace fern
