// Queue<T>: a FIFO of items passed between greenlets, gevent's Queue. get() parks the calling
// greenlet (never the thread) while the queue is empty; put() parks while a bounded queue is full.
// Getters and putters are served in arrival order (FairWaitQueue): an item put while greenlets
// wait is reserved for the longest-waiting getter; a getter killed or timed out before it ran
// passes the reservation on, so items are never lost or stolen.
//
// The family, all with the same interface:
//   Queue<T>                  first in, first out (SimpleQueue<T>: the same, gevent's name)
//   LifoQueue<T>              last in, first out
//   PriorityQueue<T, Compare> smallest first under Compare (std::less: like Python's heapq and
//                             gevent's PriorityQueue; the opposite of std::priority_queue, which
//                             yields the largest). Equal items come out in no promised order.
//   JoinableQueue<T>          a Queue that counts unfinished tasks: task_done(), join()
//
// Errors follow gevent: get() throws QueueEmpty and put() throws QueueFull when their timeout
// passes (code Errc::timed_out); the _nowait forms throw them at once (Errc::would_block). A zero
// timeout never parks. try_get()/try_put() report the same outcomes without exceptions.
// maxsize 0 means unbounded.
#pragma once

#include <algorithm>
#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include "fern/base/clock.hpp"
#include "fern/base/error.hpp"
#include "fern/hub/wait_queue.hpp"
#include "fern/sync/fair_wait_queue.hpp"

namespace fern {

// No item to get (gevent's queue.Empty).
class QueueEmpty : public std::system_error {
 public:
  explicit QueueEmpty(Errc why = Errc::would_block);
};

// No room to put (gevent's queue.Full).
class QueueFull : public std::system_error {
 public:
  explicit QueueFull(Errc why = Errc::would_block);
};

namespace detail {

template <class T>
class FifoStore {
 public:
  std::size_t size() const noexcept { return items_.size(); }
  void push(T&& item) { items_.push_back(std::move(item)); }
  const T& next() const { return items_.front(); }
  T pop() {
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

 private:
  std::deque<T> items_;
};

template <class T>
class LifoStore {
 public:
  std::size_t size() const noexcept { return items_.size(); }
  void push(T&& item) { items_.push_back(std::move(item)); }
  const T& next() const { return items_.back(); }
  T pop() {
    T item = std::move(items_.back());
    items_.pop_back();
    return item;
  }

 private:
  std::vector<T> items_;
};

// A binary heap with the smallest item (under Compare) at the front.
template <class T, class Compare>
class HeapStore {
 public:
  std::size_t size() const noexcept { return items_.size(); }
  void push(T&& item) {
    items_.push_back(std::move(item));
    std::push_heap(items_.begin(), items_.end(), later());
  }
  const T& next() const { return items_.front(); }
  T pop() {
    std::pop_heap(items_.begin(), items_.end(), later());
    T item = std::move(items_.back());
    items_.pop_back();
    return item;
  }

 private:
  // The std heap algorithms keep the greatest first; reversing the order keeps the smallest.
  auto later() const {
    return [this](const T& a, const T& b) { return compare_(b, a); };
  }
  std::vector<T> items_;
  [[no_unique_address]] Compare compare_;
};

// JoinableQueue's count of items put and not yet marked done.
class TaskCounter {
 public:
  void add() noexcept { ++unfinished_; }
  // std::logic_error when nothing is unfinished.
  void done();
  bool join(Duration timeout);
  std::size_t unfinished() const noexcept { return unfinished_; }

 private:
  std::size_t unfinished_ = 0;
  WaitQueue joiners_{"Queue.join", this};
};

}  // namespace detail

template <class T, class Store>
class BasicQueue {
 public:
  using value_type = T;

  // Unbounded. Not explicit: a struct holding a queue stays usable with designated initialisers.
  BasicQueue() noexcept = default;
  explicit BasicQueue(std::size_t maxsize) noexcept : maxsize_(maxsize) {}
  BasicQueue(const BasicQueue&) = delete;
  BasicQueue& operator=(const BasicQueue&) = delete;
  virtual ~BasicQueue() = default;

  // Adds `item`, parking while the queue is full. QueueFull (Errc::timed_out) when `timeout`
  // passed first; the item is dropped then (try_put keeps it).
  void put(T item, Duration timeout = kForever) {
    if (!await_space(timeout)) throw QueueFull(Errc::timed_out);
    insert(std::move(item));
  }
  // QueueFull (Errc::would_block) when full.
  void put_nowait(T item) {
    if (!has_space()) throw QueueFull(Errc::would_block);
    insert(std::move(item));
  }
  // put() without exceptions; `item` is moved from only when it was added.
  template <class U>
  bool try_put(U&& item, Duration timeout = Duration::zero()) {
    if (!await_space(timeout)) return false;
    insert(T(std::forward<U>(item)));
    return true;
  }

  // Removes and returns the next item, parking while the queue is empty. QueueEmpty
  // (Errc::timed_out) when `timeout` passed first.
  T get(Duration timeout = kForever) {
    if (!await_item(timeout)) throw QueueEmpty(Errc::timed_out);
    return take();
  }
  // QueueEmpty (Errc::would_block) when empty.
  T get_nowait() {
    if (!has_item()) throw QueueEmpty(Errc::would_block);
    return take();
  }
  // get() without exceptions.
  std::optional<T> try_get(Duration timeout = Duration::zero()) {
    if (!await_item(timeout)) return std::nullopt;
    return take();
  }

  // A copy of the next item, left in the queue; parks like get().
  T peek(Duration timeout = kForever) {
    if (!await_item(timeout)) throw QueueEmpty(Errc::timed_out);
    T copy = store_.next();
    wake_getters();  // a reservation we were woken with goes to a real getter
    return copy;
  }
  T peek_nowait() const {
    if (!has_item()) throw QueueEmpty(Errc::would_block);
    return store_.next();
  }

  std::size_t qsize() const noexcept { return store_.size(); }
  bool empty() const noexcept { return store_.size() == 0; }
  bool full() const noexcept { return maxsize_ != 0 && store_.size() >= maxsize_; }
  std::size_t maxsize() const noexcept { return maxsize_; }
  // Greenlets parked in get()/peek() and in put().
  std::size_t getters_waiting() const noexcept { return getters_.waiting(); }
  std::size_t putters_waiting() const noexcept { return putters_.waiting(); }

 protected:
  // Called for every item added (JoinableQueue counts them).
  virtual void on_put() noexcept {}

 private:
  // An item, or room, that no woken greenlet has been promised.
  bool has_item() const noexcept { return store_.size() > getters_.reserved(); }
  std::size_t free_slots() const noexcept { return maxsize_ > store_.size() ? maxsize_ - store_.size() : 0; }
  bool has_space() const noexcept { return maxsize_ == 0 || free_slots() > putters_.reserved(); }

  // The deadline is computed only when the caller has to park: a clock read is a measurable
  // part of a handoff, and kForever needs none.
  static TimePoint deadline_for(Duration timeout) noexcept {
    return timeout == kForever ? TimePoint::max() : deadline_after(timeout);
  }
  bool await_item(Duration timeout) {
    if (has_item()) return true;
    if (timeout <= Duration::zero()) return false;  // a zero timeout never parks
    const TimePoint deadline = deadline_for(timeout);
    while (!has_item()) {
      if (!getters_.wait(deadline)) return false;
    }
    return true;
  }
  bool await_space(Duration timeout) {
    if (has_space()) return true;
    if (timeout <= Duration::zero()) return false;
    const TimePoint deadline = deadline_for(timeout);
    while (!has_space()) {
      if (!putters_.wait(deadline)) return false;
    }
    return true;
  }

  void insert(T&& item) {
    try {
      store_.push(std::move(item));
    } catch (...) {
      wake_putters();  // the room we may have been promised is still free
      throw;
    }
    on_put();
    wake_getters();
  }
  T take() {
    T item = store_.pop();
    wake_putters();
    return item;
  }

  void wake_getters() noexcept {
    while (has_item() && getters_.notify_one()) {
    }
  }
  void wake_putters() noexcept {
    if (maxsize_ == 0) return;
    while (has_space() && putters_.notify_one()) {
    }
  }

  Store store_;
  std::size_t maxsize_ = 0;
  FairWaitQueue getters_{"Queue.get", this};
  FairWaitQueue putters_{"Queue.put", this};
};

template <class T>
using Queue = BasicQueue<T, detail::FifoStore<T>>;
// gevent's name for the plain (not joinable) FIFO.
template <class T>
using SimpleQueue = Queue<T>;
template <class T>
using LifoQueue = BasicQueue<T, detail::LifoStore<T>>;
template <class T, class Compare = std::less<T>>
using PriorityQueue = BasicQueue<T, detail::HeapStore<T, Compare>>;

// A Queue whose consumers mark each item done; join() waits until every item put has been.
template <class T>
class JoinableQueue final : public BasicQueue<T, detail::FifoStore<T>> {
 public:
  using BasicQueue<T, detail::FifoStore<T>>::BasicQueue;

  // Marks one item got earlier as processed. std::logic_error when called more often than items
  // were put.
  void task_done() { tasks_.done(); }
  // Parks until every item put has been marked done; false when `timeout` passed first.
  bool join(Duration timeout = kForever) { return tasks_.join(timeout); }
  std::size_t unfinished_tasks() const noexcept { return tasks_.unfinished(); }

 private:
  void on_put() noexcept override { tasks_.add(); }
  detail::TaskCounter tasks_;
};

}  // namespace fern
