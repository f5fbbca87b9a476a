#include "fern/hub/timer_heap.hpp"

namespace fern {

// What both ways of arming do first. The heap's array keeps room for every armed timer, the
// listed ones included, so settle() only moves entries into capacity already there; it grows
// geometrically, as push_back would.
void TimerHeap::prepare(Timer& t, TimePoint deadline, Timer::Callback cb) {
  if (t.armed()) cancel(t);
  if (heap_.size() + waiting_count_ >= heap_.capacity()) {
    heap_.reserve(heap_.capacity() < 8 ? 16 : 2 * heap_.capacity());
  }
  t.deadline = deadline;
  t.on_expire = cb;
  t.seq = next_seq_++;
}

void TimerHeap::arm(Timer& t, TimePoint deadline, Timer::Callback cb) {
  prepare(t, deadline, cb);
  heap_.push_back(Entry{deadline, t.seq, &t});
  sift_up(heap_.size() - 1, heap_.back());
}

void TimerHeap::arm_after_poll(Timer& t, TimePoint deadline, Timer::Callback cb) {
  prepare(t, deadline, cb);
  waiting_.push_back(t);
  ++waiting_count_;
  if (deadline < waiting_earliest_) waiting_earliest_ = deadline;
}

void TimerHeap::cancel(Timer& t) noexcept {
  if (t.waiting_for_poll()) {
    t.unlink();
    if (--waiting_count_ == 0) waiting_earliest_ = TimePoint::max();
  } else if (t.armed()) {
    remove_at(t.index);
  }
}

void TimerHeap::settle() noexcept {
  while (Timer* t = waiting_.pop_front()) {
    heap_.push_back(Entry{t->deadline, t->seq, t});
    sift_up(heap_.size() - 1, heap_.back());
  }
  waiting_count_ = 0;
  waiting_earliest_ = TimePoint::max();
}

void TimerHeap::release_memory() noexcept {
  if (empty()) std::vector<Entry>().swap(heap_);
}

Timer* TimerHeap::pop_expired(TimePoint now) noexcept {
  if (waiting_earliest_ <= now) settle();
  if (heap_.empty() || heap_[0].deadline > now) return nullptr;
  Timer* t = heap_[0].timer;
  remove_at(0);
  return t;
}

// The last entry fills the hole and moves whichever way its key says (at most one of the two
// sifts moves it).
void TimerHeap::remove_at(std::size_t i) noexcept {
  heap_[i].timer->index = static_cast<std::size_t>(-1);
  Entry last = heap_.back();
  heap_.pop_back();
  if (i == heap_.size()) return;
  if (i > 0 && before(last, heap_[(i - 1) / kArity])) {
    sift_up(i, last);
  } else {
    sift_down(i, last);
  }
}

// Both sifts carry the moving entry in hand and write it once, where it stops.
void TimerHeap::sift_up(std::size_t i, Entry e) noexcept {
  while (i > 0) {
    std::size_t parent = (i - 1) / kArity;
    if (!before(e, heap_[parent])) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, e);
}

void TimerHeap::sift_down(std::size_t i, Entry e) noexcept {
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t first = kArity * i + 1;
    if (first >= n) break;
    std::size_t best = first;
    std::size_t end = first + kArity < n ? first + kArity : n;
    for (std::size_t c = first + 1; c < end; ++c) {
      if (before(heap_[c], heap_[best])) best = c;
    }
    if (!before(heap_[best], e)) break;
    place(i, heap_[best]);
    i = best;
  }
  place(i, e);
}

}  // namespace fern
