// Block watchdog: what still blocks is reported. A greenlet that keeps its thread's hub from
// running for longer than a threshold (FERN_BLOCK_WARN_MS, default 100 ms; 0 turns it off) -- a
// call the hook does not cover, a busy loop, a lock -- is reported once per episode with its name,
// spawn site and the blocked thread's call stack at that moment.
//
// This is the hub monitor (fern/hub/monitor.hpp), started by the hook for every thread that
// cooperates through it; these calls set the monitor's block threshold and reporter for the hook's
// threads. A program that starts the monitor itself on a thread keeps its own options there.
#pragma once

#include <string>

#include <fern/base/clock.hpp>
#include <fern/hub/monitor.hpp>

namespace fern::monkey {

using BlockReport = fern::BlockReport;
using BlockReporter = fern::BlockReporter;

// The reporter of every block the monitor finds (fern::set_block_reporter). An empty reporter
// restores the default: format_block_report() to stderr.
void set_block_reporter(BlockReporter reporter);
// Zero turns the watchdog off. Applies to threads that start cooperating from now on, and to the
// calling thread if the hook watches it.
void set_block_threshold(Duration threshold);
Duration block_threshold() noexcept;

inline std::string format_block_report(const BlockReport& report) {
  return fern::format_block_report(report);
}

}  // namespace fern::monkey
