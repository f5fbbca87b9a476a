// The hook's reading of what callers pass to the interposed waits and sleeps: timeouts as timespec or
// timeval, and select's fd_sets as pollfds. Callers pass whatever the kernel accepts, and the kernel
// accepts {LONG_MAX, 0} (a common "forever") and any tv_sec for SO_RCVTIMEO, so the conversions
// saturate where seconds * 10^9 would overflow. Pure functions, internal to the hook; the fuzzers
// drive them directly.
#pragma once

#include <poll.h>
#include <sys/select.h>
#include <sys/time.h>
#include <time.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <vector>

namespace fern::hook {

// `ns` as nanoseconds, clamped to what the type can hold.
constexpr std::chrono::nanoseconds clamp_to_nanoseconds(__int128 ns) noexcept {
  constexpr auto kMax = std::numeric_limits<std::chrono::nanoseconds::rep>::max();
  constexpr auto kMin = std::numeric_limits<std::chrono::nanoseconds::rep>::min();
  if (ns > kMax) return std::chrono::nanoseconds(kMax);
  if (ns < kMin) return std::chrono::nanoseconds(kMin);
  return std::chrono::nanoseconds(static_cast<std::chrono::nanoseconds::rep>(ns));
}

// A timespec or timeval as a duration, saturated (128-bit arithmetic cannot overflow for any field
// values).
constexpr std::chrono::nanoseconds duration_of(const timespec& ts) noexcept {
  return clamp_to_nanoseconds(static_cast<__int128>(ts.tv_sec) * 1000000000 + ts.tv_nsec);
}
constexpr std::chrono::nanoseconds duration_of(const timeval& tv) noexcept {
  return clamp_to_nanoseconds((static_cast<__int128>(tv.tv_sec) * 1000000 + tv.tv_usec) * 1000);
}

// What the kernel accepts as a relative timeout; it fails the call with EINVAL otherwise.
constexpr bool valid(const timespec* ts) noexcept {
  return ts && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000 && ts->tv_sec >= 0;
}
// select's timeval, read as Linux reads it: microseconds beyond a second carry into the seconds.
constexpr bool valid(const timeval* tv) noexcept {
  return tv && static_cast<__int128>(tv->tv_sec) + tv->tv_usec / 1000000 >= 0 && tv->tv_usec % 1000000 >= 0;
}

// The fd_sets of select as pollfds to park on, in descriptor order.
inline std::vector<pollfd> watched_of(int nfds, const fd_set* r, const fd_set* w, const fd_set* e) {
  std::vector<pollfd> out;
  for (int fd = 0; fd < nfds && fd < FD_SETSIZE; ++fd) {
    short events = 0;
    if (r && FD_ISSET(fd, r)) events |= POLLIN;
    if (w && FD_ISSET(fd, w)) events |= POLLOUT;
    if (e && FD_ISSET(fd, e)) events |= POLLPRI;
    if (events) out.push_back({fd, events, 0});
  }
  return out;
}

}  // namespace fern::hook
