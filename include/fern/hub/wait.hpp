// wait / iwait: wait for several Waitables at once (finished greenlets, set Events, AsyncResults
// with values). wait() returns those ready when `count` of them are (all by default) or the
// timeout passes; IWait hands them out one at a time in the order they become ready.
#pragma once

#include <concepts>
#include <cstddef>
#include <deque>
#include <initializer_list>
#include <limits>
#include <ranges>
#include <span>
#include <vector>

#include "fern/base/clock.hpp"
#include "fern/hub/wait_queue.hpp"
#include "fern/hub/waitable.hpp"

namespace fern {

// One thing to wait for, however the caller holds it: an Event or AsyncResult (by reference or
// address), or a GreenletRef of any result type (anything with get_pointer() to a Waitable).
class WaitTarget {
 public:
  WaitTarget(Waitable* object) noexcept : object_(object) {}
  WaitTarget(Waitable& object) noexcept : object_(&object) {}
  template <class Ref>
  requires requires(const Ref& r) {
    { r.get_pointer() } -> std::convertible_to<Waitable*>;
  }
  WaitTarget(const Ref& ref) noexcept : object_(ref.get_pointer()) {}
  Waitable* get() const noexcept { return object_; }

 private:
  Waitable* object_;
};

std::vector<Waitable*> wait(std::span<Waitable* const> objects, Duration timeout = kForever,
                            std::size_t count = std::numeric_limits<std::size_t>::max());
// fern::wait({event, greenlet, &result}): the ready ones, as Waitable addresses.
std::vector<Waitable*> wait(std::initializer_list<WaitTarget> objects, Duration timeout = kForever,
                            std::size_t count = std::numeric_limits<std::size_t>::max());
// Any range of them: a std::vector<GreenletRef<int>>, a std::vector<Event*>.
template <std::ranges::input_range R>
requires std::convertible_to<std::ranges::range_reference_t<const R&>, WaitTarget> &&
    (!std::convertible_to<const R&, std::span<Waitable* const>>)
        std::vector<Waitable*> wait(const R& objects, Duration timeout = kForever,
                                    std::size_t count = std::numeric_limits<std::size_t>::max()) {
  std::vector<Waitable*> addresses;
  for (const auto& o : objects) addresses.push_back(WaitTarget(o).get());
  return wait(std::span<Waitable* const>(addresses), timeout, count);
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
