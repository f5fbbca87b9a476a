// The hub monitor: an optional thread that watches hubs from outside (gevent's monitor thread and
// max_blocking_time). It reports
//   * a hub that has not come back to its loop within max_blocking_time (default 100 ms): the
//     running greenlet's number, name and spawn site, and the blocked thread's native stack -- a
//     busy loop, a blocking libc call the hook does not cover, a lock held too long;
//   * with max_parked_time set, greenlets parked longer than that on something with no deadline
//     that is not I/O (an Event, a Queue, a join...): the usual shape of a leak or a deadlock.
// Strict mode reports, then aborts the process: a test suite run that way fails on any block.
//
// What it costs: nothing on the hub's own path. The monitor wakes every quarter of
// max_blocking_time; for each watched hub whose running greenlet is not the hub it posts a no-op
// (RemoteHub::call), and a hub that has not run it a threshold later, with the same greenlet still
// running, is held. The stack is taken by signalling the held thread (SIGRTMAX-3, SA_RESTART), whose
// handler records backtrace(). The main greenlet counts as holding the hub only while the hub has
// spawned greenlets alive: plain work in main with nothing else to run is not a block.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fern/base/clock.hpp"
#include "fern/hub/run_info.hpp"

namespace fern {

class Hub;

struct MonitorOptions {
  Duration max_blocking_time = std::chrono::milliseconds(100);  // zero: blocks are not watched
  Duration max_parked_time = Duration::zero();                  // zero: parked greenlets are not watched
  bool strict = false;                                          // abort the process after reporting a block
};

struct BlockReport {
  std::uint64_t greenlet_id = 0;      // 0: main, or a greenlet not spawned through the hub
  std::string greenlet;               // its name ("main" for the main greenlet; may be empty)
  std::string spawned_at;             // "file:line in function", when spawned
  long thread_id = 0;                 // the held thread (gettid)
  std::chrono::milliseconds held{0};  // how long the reported greenlet had held the hub, at least
  std::vector<std::string> stack;     // the held thread's native stack, innermost frame first
};

struct ParkedReport {
  long thread_id = 0;
  std::vector<GreenletInfo> greenlets;  // parked longer than max_parked_time on a wait without deadline
};

using BlockReporter = std::function<void(const BlockReport&)>;
using ParkedReporter = std::function<void(const ParkedReport&)>;

// Watches the calling thread's hub with `options` (starting the monitor thread on first use), until
// stop_monitor() on this thread or the thread's end. Calling it again changes the options.
void start_monitor(const MonitorOptions& options = {});
void stop_monitor() noexcept;
// Whether the calling thread's hub is watched.
bool monitoring() noexcept;

// Where reports go; an empty reporter restores the default (format_*_report to stderr). Reporters
// run on the monitor thread (block reports) or on the hub (parked reports) and must not call back
// into this header.
void set_block_reporter(BlockReporter reporter);
void set_parked_reporter(ParkedReporter reporter);

std::string format_block_report(const BlockReport& report);
std::string format_parked_report(const ParkedReport& report);

namespace detail {
// True while the runtime creates a thread of its own (the monitor): the hook's thread interposer
// leaves such a thread a real thread.
extern thread_local bool t_creating_runtime_thread;
}  // namespace detail

}  // namespace fern
