// Clock: fern's monotonic clock. Deadlines are absolute points on it; durations are std::chrono.
#pragma once

#include <chrono>

namespace fern {

using Clock = std::chrono::steady_clock;
using Duration = Clock::duration;
using TimePoint = Clock::time_point;

// "No timeout": a blocking call given this waits until the event happens.
inline constexpr Duration kForever = Duration::max();

// A deadline `d` from `now`, saturating so kForever never overflows.
inline TimePoint deadline_after(Duration d, TimePoint now = Clock::now()) noexcept {
  if (d >= TimePoint::max() - now) return TimePoint::max();
  return now + (d < Duration::zero() ? Duration::zero() : d);
}

}  // namespace fern
