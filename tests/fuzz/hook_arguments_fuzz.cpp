// Fuzzes the hook's reading of the arguments of the interposed waits and sleeps
// (src/hook/arguments.hpp): timespec and timeval timeouts as durations, the kernel's validity rule,
// and select's fd_sets as pollfds. Input: a timespec's and a timeval's fields (8 bytes each, any
// values), select's nfds, which sets are given, then the sets' bytes.
// Invariants: no sanitizer report (in particular no signed overflow for any field values); a
// duration equals the exact value of sec * 10^9 + sub-second part when that fits in 64 bits and is
// saturated to the nearest bound when it does not (checked against an independent computation);
// durations grow with the sub-second field; a timeout the kernel accepts is never negative; a
// deadline from any duration is never before now; the pollfds name exactly the descriptors below
// nfds and FD_SETSIZE that some set holds, in order, with the events of the sets holding them.
#include <poll.h>
#include <sys/select.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include <fern/base/clock.hpp>

#include "../../src/hook/arguments.hpp"
#include "fuzz_check.hpp"

namespace {

using std::chrono::nanoseconds;

using fern::fuzz::check;

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

// sec * 10^9 + sub * (10^9 / per_second), saturated, in 64-bit arithmetic with overflow checks: the
// sub-second part is first split into whole seconds and a remainder in [0, per_second).
std::int64_t reference(std::int64_t sec, std::int64_t sub, std::int64_t per_second) {
  const std::int64_t unit = 1000000000 / per_second;
  std::int64_t carry = sub / per_second, rest = sub % per_second;
  if (rest < 0) rest += per_second, carry -= 1;
  std::int64_t s = 0;
  if (__builtin_add_overflow(sec, carry, &s)) return sec > 0 ? kMax : kMin;
  std::int64_t r = rest * unit;  // in [0, 10^9)
  // A negative total is s * 10^9 + r with s < 0: take the remainder below zero so that the product
  // overflows only when the total does.
  if (s < 0 && r > 0) s += 1, r -= 1000000000;
  std::int64_t base = 0;
  if (__builtin_mul_overflow(s, std::int64_t{1000000000}, &base)) return s > 0 ? kMax : kMin;
  std::int64_t total = 0;
  if (__builtin_add_overflow(base, r, &total)) return r > 0 ? kMax : kMin;
  return total;
}

template <class T>
T take(const std::uint8_t*& data, std::size_t& size) {
  T v{};
  const std::size_t n = size < sizeof v ? size : sizeof v;
  std::memcpy(&v, data, n);
  data += n;
  size -= n;
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const timespec ts{take<time_t>(data, size), take<long>(data, size)};
  const timeval tv{take<time_t>(data, size), take<suseconds_t>(data, size)};

  const nanoseconds ts_d = fern::hook::duration_of(ts);
  check(ts_d.count() == reference(ts.tv_sec, ts.tv_nsec, 1000000000), "timespec duration");
  const nanoseconds tv_d = fern::hook::duration_of(tv);
  check(tv_d.count() == reference(tv.tv_sec, tv.tv_usec, 1000000), "timeval duration");
  if (ts.tv_nsec < std::numeric_limits<long>::max()) {
    check(fern::hook::duration_of(timespec{ts.tv_sec, ts.tv_nsec + 1}) >= ts_d, "timespec not monotonic");
  }
  if (tv.tv_usec < std::numeric_limits<suseconds_t>::max()) {
    check(fern::hook::duration_of(timeval{tv.tv_sec, tv.tv_usec + 1}) >= tv_d, "timeval not monotonic");
  }
  if (fern::hook::valid(&ts)) check(ts_d.count() >= 0, "a valid timespec gives a negative duration");
  if (fern::hook::valid(&tv)) check(tv_d.count() >= 0, "a valid timeval gives a negative duration");
  const fern::TimePoint now = fern::Clock::now();
  for (nanoseconds d : {ts_d, tv_d}) {
    const fern::TimePoint deadline = fern::deadline_after(d, now);
    check(deadline >= now, "deadline before now");
    if (d.count() >= 0 && d < fern::TimePoint::max() - now) check(deadline - now == d, "deadline moved");
  }

  const int nfds = take<int>(data, size);
  const std::uint8_t present = take<std::uint8_t>(data, size);
  fd_set sets[3];
  for (fd_set& s : sets) s = take<fd_set>(data, size);
  const fd_set* r = (present & 1) ? &sets[0] : nullptr;
  const fd_set* w = (present & 2) ? &sets[1] : nullptr;
  const fd_set* e = (present & 4) ? &sets[2] : nullptr;
  const std::vector<pollfd> watched = fern::hook::watched_of(nfds, r, w, e);
  std::size_t next = 0;
  for (int fd = 0; fd < FD_SETSIZE; ++fd) {
    short events = 0;
    if (fd < nfds) {
      if (r && FD_ISSET(fd, r)) events |= POLLIN;
      if (w && FD_ISSET(fd, w)) events |= POLLOUT;
      if (e && FD_ISSET(fd, e)) events |= POLLPRI;
    }
    if (events == 0) continue;
    check(next < watched.size(), "a descriptor of the sets is missing");
    check(watched[next].fd == fd && watched[next].events == events && watched[next].revents == 0,
          "wrong descriptor or events");
    ++next;
  }
  check(next == watched.size(), "a descriptor that no set holds is watched");
  return 0;
}
