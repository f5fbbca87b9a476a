// The hook's side of the hub monitor: which threads it watches and with what threshold.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>

#include <fern/hook/block_watchdog.hpp>
#include <fern/hub/hub.hpp>
#include <fern/hub/monitor.hpp>

#include "cooperation.hpp"
#include "watch_registry.hpp"

namespace fern::hook {

namespace {

std::atomic<std::int64_t> g_threshold_ns{-1};  // -1: not read from the environment yet

// The hub the hook started the monitor for on this thread (null: none, or the program's own).
thread_local const Hub* t_watched_hub = nullptr;

void start_for(Hub& hub) noexcept {
  t_starting_internal_thread = true;
  try {
    start_monitor({.max_blocking_time = monkey::block_threshold()});
    t_watched_hub = &hub;
  } catch (...) {
    // No monitor: nothing is watched, everything else works.
  }
  t_starting_internal_thread = false;
}

}  // namespace

void watch_current_thread(Hub& hub) noexcept {
  if (t_watched_hub == &hub) return;
  if (monitoring()) {
    t_watched_hub = &hub;  // the program started the monitor here: its options stand
    return;
  }
  start_for(hub);
}

}  // namespace fern::hook

namespace fern::monkey {

void set_block_reporter(BlockReporter reporter) { fern::set_block_reporter(std::move(reporter)); }

void set_block_threshold(Duration threshold) {
  hook::g_threshold_ns.store(std::chrono::duration_cast<std::chrono::nanoseconds>(threshold).count(),
                             std::memory_order_relaxed);
  if (Hub* hub = Hub::current_if_exists(); hub && hook::t_watched_hub == hub) hook::start_for(*hub);
}

Duration block_threshold() noexcept {
  std::int64_t ns = hook::g_threshold_ns.load(std::memory_order_relaxed);
  if (ns < 0) {
    const char* env = std::getenv("FERN_BLOCK_WARN_MS");
    long ms = env ? std::atol(env) : 100;
    ns = std::max(ms, 0L) * 1000000;
    std::int64_t expected = -1;
    if (!hook::g_threshold_ns.compare_exchange_strong(expected, ns, std::memory_order_relaxed)) ns = expected;
  }
  return std::chrono::nanoseconds(ns);
}

}  // namespace fern::monkey
