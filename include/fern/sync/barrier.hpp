// Barrier: Python's threading.Barrier (and asyncio.Barrier) for greenlets, which gevent lacks.
// `parties` greenlets call wait(); each parks until the last one arrives, then all pass together
// and the barrier is ready for the next round. The last to arrive first runs the optional action.
//
// A barrier breaks when a waiter times out, is killed, or the action throws, or on abort(): every
// greenlet waiting then, and every later wait() until reset(), gets BrokenBarrier. reset() breaks
// the current round's waiters and makes the barrier usable again. Python's semantics throughout.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <system_error>

#include "fern/base/clock.hpp"
#include "fern/base/error.hpp"
#include "fern/hub/wait_queue.hpp"

namespace fern {

// Python's BrokenBarrierError; the code is Errc::cancelled.
class BrokenBarrier : public std::system_error {
 public:
  BrokenBarrier() : std::system_error(make_error_code(Errc::cancelled), "fern: the barrier is broken") {}
};

class Barrier {
 public:
  explicit Barrier(std::size_t parties, std::function<void()> action = {});
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;

  // Parks until `parties` greenlets have called it, then returns this caller's arrival index
  // (0 .. parties-1; the last to arrive gets parties-1). BrokenBarrier when the round breaks,
  // including by this caller's own `timeout`.
  std::size_t wait(Duration timeout = kForever);
  // Breaks the waiting round (its waiters get BrokenBarrier) and starts afresh.
  void reset();
  // Breaks the barrier until reset().
  void abort();

  std::size_t parties() const noexcept { return parties_; }
  std::size_t n_waiting() const noexcept { return round_->arrived; }
  bool broken() const noexcept { return broken_; }

 private:
  // One round's fate, shared with its waiters: they may resume after later rounds have begun.
  struct Round {
    std::size_t arrived = 0;
    bool passed = false;
    bool broken = false;
  };
  void pass();
  void break_round() noexcept;

  std::size_t parties_;
  std::function<void()> action_;
  std::shared_ptr<Round> round_ = std::make_shared<Round>();
  bool broken_ = false;
  WaitQueue waiters_{"Barrier", this};
};

}  // namespace fern
