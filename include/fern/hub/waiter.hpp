// Waiter: the one handoff through which every blocking primitive parks a greenlet. The greenlet
// calls park(); the hub runs others; something calls wake() (or fail(), or the deadline passes)
// and the hub resumes the greenlet, whose park() returns or throws. A Waiter lives on the parked
// greenlet's stack, so parking allocates nothing.
//
// Kills and Timeout scopes reach a parked greenlet through its current Waiter (fail()), which is
// why every park in fern goes through here.
#pragma once

#include <exception>

#include "fern/base/clock.hpp"
#include "fern/hub/timer_heap.hpp"

namespace fern {

class Greenlet;
class Hub;

class Waiter {
 public:
  // A waiter for the current greenlet on the current thread's hub.
  Waiter();
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;
  ~Waiter();

  // Parks the current greenlet until wake(), fail() or `deadline`. Returns true when woken, false
  // when the deadline passed first. Throws what fail() gave. Throws std::system_error
  // (Errc::not_in_greenlet) when called in the hub itself.
  bool park(TimePoint deadline = TimePoint::max());

  // Schedules the parked greenlet to resume; only the first call counts. Hub thread only.
  void wake() noexcept;
  // Resumes the parked greenlet by raising `error` from park(); overrides an earlier wake().
  void fail(std::exception_ptr error) noexcept;

  bool woken() const noexcept { return scheduled_; }
  Greenlet* greenlet() const noexcept { return greenlet_; }
  Hub& hub() const noexcept { return *hub_; }

  // The Waiter `g` is parked on, or null.
  static Waiter* of(Greenlet& g) noexcept;

 private:
  static void on_deadline(Timer& t) noexcept;

  Hub* hub_;
  Greenlet* greenlet_;
  Timer timer_;
  std::exception_ptr error_;
  bool scheduled_ = false;
  bool timed_out_ = false;
  bool parked_ = false;
};

}  // namespace fern
