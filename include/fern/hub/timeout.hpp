// Timeout: an RAII scope that raises TimeoutError in its greenlet when it fires, wherever that
// greenlet is parked (any fern wait). Scopes nest; the error says which scope fired, so an outer
// scope's error passes through an inner handler untouched:
//
//   fern::Timeout t(2s);
//   try { slow(); } catch (const fern::TimeoutError& e) { if (!e.is(t)) throw; ... }
//
// with_timeout(d, fn) runs fn under a scope; with_timeout(d, fn, fallback) returns fallback instead of
// raising when that scope fired.
#pragma once

#include <system_error>
#include <type_traits>
#include <utility>

#include "fern/base/clock.hpp"
#include "fern/base/error.hpp"
#include "fern/hub/timer_heap.hpp"

namespace fern {

class Greenlet;
class Hub;
class Timeout;

class TimeoutError : public std::system_error {
 public:
  explicit TimeoutError(const Timeout* source = nullptr, const char* what = "fern: timed out")
      : std::system_error(make_error_code(Errc::timed_out), what), source_(source) {}
  // True when `t` is the scope that fired.
  bool is(const Timeout& t) const noexcept { return source_ == &t; }
  const Timeout* source() const noexcept { return source_; }

 private:
  const Timeout* source_;
};

class Timeout {
 public:
  // Starts at once; kForever never fires.
  explicit Timeout(Duration d);
  Timeout(const Timeout&) = delete;
  Timeout& operator=(const Timeout&) = delete;
  ~Timeout() { cancel(); }

  void cancel() noexcept;
  bool pending() const noexcept { return timer_.armed(); }
  bool fired() const noexcept { return fired_; }

 private:
  static void on_expire(Timer& t) noexcept;
  Hub* hub_;
  Greenlet* greenlet_;
  Timer timer_;
  bool fired_ = false;
};

// Runs fn under a scope of `d`; its TimeoutError, if the scope fires, reaches the caller (gevent's
// with_timeout without timeout_value). Any result type, void included.
template <class F>
std::invoke_result_t<F> with_timeout(Duration d, F&& fn) {
  Timeout scope(d);
  return std::forward<F>(fn)();
}

// The same, but the fallback is returned if this scope fired (an outer scope's error passes).
template <class F, class T>
requires(!std::is_void_v<std::invoke_result_t<F>>) auto with_timeout(Duration d, F&& fn, T fallback)
    -> std::common_type_t<std::invoke_result_t<F>, T> {
  Timeout scope(d);
  try {
    return std::forward<F>(fn)();
  } catch (const TimeoutError& e) {
    if (!e.is(scope)) throw;
    return fallback;
  }
}

}  // namespace fern
