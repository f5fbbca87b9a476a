#include "fern/sync/barrier.hpp"

#include <stdexcept>
#include <utility>

namespace fern {

Barrier::Barrier(std::size_t parties, std::function<void()> action)
    : parties_(parties), action_(std::move(action)) {
  if (parties_ == 0) throw std::invalid_argument("fern: a Barrier needs at least one party");
}

std::size_t Barrier::wait(Duration timeout) {
  if (broken_) throw BrokenBarrier();
  std::shared_ptr<Round> round = round_;
  const std::size_t index = round->arrived++;
  if (round->arrived == parties_) {
    pass();
    return index;
  }
  const TimePoint deadline = timeout == kForever ? TimePoint::max() : deadline_after(timeout);
  try {
    while (!round->passed && !round->broken) {
      if (!waiters_.wait(deadline)) break_round();
    }
  } catch (...) {
    // Killed (or a fern::Timeout) while waiting: the others would wait for a party that left.
    if (!round->passed && !round->broken) break_round();
    throw;
  }
  if (round->broken) throw BrokenBarrier();
  return index;
}

void Barrier::pass() {
  if (action_) {
    try {
      action_();
    } catch (...) {
      break_round();
      throw;
    }
  }
  round_->passed = true;
  round_ = std::make_shared<Round>();
  waiters_.notify_all();
}

void Barrier::break_round() noexcept {
  round_->broken = true;
  broken_ = true;
  waiters_.notify_all();
}

void Barrier::abort() { break_round(); }

void Barrier::reset() {
  if (round_->arrived > 0) {
    round_->broken = true;
    waiters_.notify_all();
  }
  round_ = std::make_shared<Round>();
  broken_ = false;
}

}  // namespace fern
