// The operations bench/hub times, one function each, returning nanoseconds per operation.
#pragma once

#include <chrono>

namespace fern::bench {

inline double per_op(std::chrono::steady_clock::time_point t0, long ops) {
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() /
         static_cast<double>(ops);
}

double fern_sleep0(long n);
double fern_spawn_join(long n);
double fern_event(long n);
double fern_queue(long n);
#ifdef FERN_BENCH_HAVE_BOOST
double boost_yield(long n);
double boost_spawn_join(long n);
double boost_event(long n);
double boost_queue(long n);
#endif

}  // namespace fern::bench
