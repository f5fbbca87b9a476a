// The measured operations of bench/switch. Each function runs one sample and returns nanoseconds per
// operation; the caller alternates them in rounds (BENCH.md) and takes medians.
//
// A "switch" is one transfer of control in one direction: a ping-pong round trip is two switches.
#pragma once

#include <chrono>

#include "fern/greenlet/greenlet.hpp"

namespace fern::bench {

using Clock = std::chrono::steady_clock;

inline double ns_per_op(Clock::time_point start, Clock::time_point end, long ops) {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count()) /
         static_cast<double>(ops);
}

// fern: two greenlets switching to each other with switch_to().
double fern_pingpong(StackMode mode, long switches);
// fern: the bare machine-context jump between two stacks, no greenlet bookkeeping.
double fern_raw_jump(long switches);
// fern: create a greenlet, switch into it, it returns, destroy it.
double fern_spawn_finish(StackMode mode, long ops);

// How the parked greenlets of an RSS sample are made.
enum class ParkedKind {
  guarded,        // new Greenlet, guarded pooled stack
  dense_heap,     // new Greenlet with StackMode::dense: object on the heap, stack in a dense region
  dense,          // Greenlet::make_dense: the object at the top of its own dense stack
  spawned_dense,  // spawn_with a dense mode, parked in Event::wait on the hub
};

// Child-process entry: parks `count` greenlets and prints "<rss bytes> <page-table bytes>" per
// greenlet. Returns the process exit status.
int fern_parked_rss_child(ParkedKind kind, long count);

#ifdef FERN_BENCH_HAVE_BOOST
// Boost.Context's raw fcontext (jump_fcontext) ping-pong.
double boost_fcontext_pingpong(long switches);
// boost::context::fiber ping-pong (resume).
double boost_context_fiber_pingpong(long switches);
// Boost.Fiber: two fibers calling this_fiber::yield() in turn.
double boost_fiber_yield_pingpong(long switches);
// Boost.Fiber spawn + join with a pooled_fixedsize_stack; `dispatch` starts the fiber at once
// (launch::dispatch) instead of queueing it (launch::post, the default).
double boost_fiber_spawn_join(long ops, bool dispatch);
// boost::context::fiber with a pooled_fixedsize_stack: create, resume, it returns.
double boost_context_fiber_spawn_finish(long ops);
#endif

}  // namespace fern::bench
