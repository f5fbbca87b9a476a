// Block watchdog: what still blocks is reported. A greenlet that keeps its thread's hub from
// running for longer than a threshold (FERN_BLOCK_WARN_MS, default 100 ms; 0 turns it off) -- a
// call the hook does not cover, a busy loop, a lock -- is reported once per episode with its name
// and the blocked thread's call stack at that moment.
//
// How it works, and what it costs the hub: nothing on the hub's path. A watchdog thread wakes every
// quarter threshold; for each thread that cooperates through the hook it reads which greenlet is
// running and, if it is not the hub, posts a no-op to that hub (RemoteHub::call). A hub that has not
// run the no-op a threshold later, while the same greenlet still runs, is held. The call stack is
// taken by signalling the thread (a real-time signal, SIGRTMAX-3, SA_RESTART) whose handler records
// backtrace(); a system call that does not restart may see EINTR once per report.
//
// The main greenlet counts as holding the hub only while some other greenlet of its thread is
// parked in a hooked call: a program doing plain work in main with an idle hub is not reported.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <fern/base/clock.hpp>

namespace fern::monkey {

struct BlockReport {
  std::string greenlet;                // the running greenlet's name (empty if it has none)
  long thread_id = 0;                  // the blocked thread (gettid)
  std::chrono::milliseconds held{0};   // how long the hub had not run when this was reported
  std::vector<std::string> call_site;  // the blocked thread's stack, innermost frame first
};

using BlockReporter = std::function<void(const BlockReport&)>;

// Called on the watchdog thread while it holds its registry lock: a reporter must not call back
// into this header. An empty reporter restores the default: format_block_report() to stderr.
void set_block_reporter(BlockReporter reporter);
// Zero turns the watchdog off.
void set_block_threshold(Duration threshold);
Duration block_threshold() noexcept;

std::string format_block_report(const BlockReport& report);

}  // namespace fern::monkey
