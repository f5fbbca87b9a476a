// Waiter: the one handoff through which every blocking primitive parks a greenlet. The greenlet
// calls park(); the hub runs others; something calls wake() (or fail(), or the deadline passes)
// and the hub resumes the greenlet, whose park() returns or throws. A Waiter lives on the parked
// greenlet's stack, so parking allocates nothing.
//
// Kills and Timeout scopes reach a parked greenlet through its current Waiter (fail()), which is
// why every park in fern goes through here.
//
// A Waiter can also stand for a suspended C++20 coroutine (fern::aio): built with Waiter(hub), it
// is bound to the coroutine's handle by suspend() in an await_suspend, and wake() makes the hub
// resume that handle instead of switching to a greenlet. Everything that wakes waiters (WaitQueue,
// drivers, timers, Waitable links) therefore wakes tasks through the same path. The Waiter then
// lives in the coroutine's frame; resumed() ends the suspension where park() would have returned.
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>

#include "fern/base/clock.hpp"
#include "fern/hub/timer_heap.hpp"

namespace fern {

class Greenlet;
class Hub;

// What a parked greenlet waits on, as fern::run_info() shows it. The primitive that parks names
// itself (WaitQueue's owner, FdWatch, sleep); pointers only, so naming a wait costs a few stores.
struct WaitSubject {
  const char* kind = nullptr;    // "fd", "sleep", "Event", "join", ...; null: not named
  const void* object = nullptr;  // the primitive (the greenlet joined, for "join"), when there is one
  int fd = -1;                   // for "fd": the descriptor and the io_events waited for
  std::uint32_t events = 0;
};

class Waiter {
 public:
  // A waiter for the current greenlet on the current thread's hub.
  Waiter();
  // A waiter for a coroutine on `hub`; see suspend().
  explicit Waiter(Hub& hub) noexcept;
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;
  ~Waiter();

  // Parks the current greenlet until wake(), fail() or `deadline`. Returns true when woken, false
  // when the deadline passed first. Throws what fail() gave. Throws std::system_error
  // (Errc::not_in_greenlet) when called in the hub itself.
  bool park(TimePoint deadline = TimePoint::max());

  // The coroutine form of park(), in two halves: suspend() from await_suspend, before `h` is
  // suspended; resumed() from await_resume. resumed() returns true when woken, false when the
  // deadline passed first, and throws what fail() gave.
  void suspend(std::coroutine_handle<> h, TimePoint deadline = TimePoint::max());
  bool resumed();

  // Schedules the parked greenlet (or coroutine) to resume; only the first call counts. Hub
  // thread only.
  void wake() noexcept;
  // Resumes the parked greenlet by raising `error` from park(); overrides an earlier wake().
  void fail(std::exception_ptr error) noexcept;

  // Says what this waiter waits on (see WaitSubject); the last call before park() counts.
  void waits_on(const WaitSubject& subject) noexcept { subject_ = subject; }
  const WaitSubject& subject() const noexcept { return subject_; }
  // The hub's clock when the current park began.
  TimePoint parked_since() const noexcept { return parked_since_; }
  // Whether a deadline will end the park if nothing else does.
  bool has_deadline() const noexcept { return timer_.armed(); }

  bool woken() const noexcept { return scheduled_; }
  // The parked greenlet; null for a coroutine's waiter.
  Greenlet* greenlet() const noexcept { return greenlet_; }
  Hub& hub() const noexcept { return *hub_; }

  // The Waiter `g` is parked on, or null.
  static Waiter* of(Greenlet& g) noexcept;

 private:
  static void on_deadline(Timer& t) noexcept;
  void arm(TimePoint deadline);

  Hub* hub_;
  Greenlet* greenlet_;
  std::coroutine_handle<> coroutine_;
  Timer timer_;
  std::exception_ptr error_;
  WaitSubject subject_;
  TimePoint parked_since_;
  bool scheduled_ = false;
  bool timed_out_ = false;
  bool parked_ = false;
};

}  // namespace fern
