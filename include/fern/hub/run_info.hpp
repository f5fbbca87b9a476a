// run_info: what every spawned greenlet of a hub is doing, as data and as a tree (gevent's
// print_run_info and GreenletTree, Go's goroutine dump). Cheap enough to stay on in Release: the hub
// already keeps its live greenlets in a list, a parked greenlet's Waiter says what it waits on and
// since when, and spawn() records its caller's file and line (fern::SourceSite, no stack walk).
// Reading it costs nothing until somebody asks.
#pragma once

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fern/base/clock.hpp"

namespace fern {

class Hub;

enum class GreenletState {
  ready,     // queued to run on the hub's next turn (spawned and not yet run, or woken)
  running,   // the greenlet asking
  parked,    // waiting on a Waiter (see waits_on)
  switched,  // suspended without a Waiter (a raw switch into another greenlet)
};
const char* to_string(GreenletState state) noexcept;

struct GreenletInfo {
  std::uint64_t id = 0;
  std::uint64_t parent_id = 0;  // the spawned greenlet that spawned it; 0 for main or the hub
  std::string name;             // its name, or "Greenlet-<id>"
  GreenletState state = GreenletState::ready;
  std::string waits_on;        // "fd 7 (read)", "Event", "join #3", "sleep", ...; empty if not parked
  Duration waited{};           // how long it has been parked, by the hub's clock
  bool has_deadline = false;   // a deadline will end the park if nothing else does
  std::size_t stack_peak = 0;  // deepest stack use seen at a park, bytes (a lower bound)
  std::string spawned_at;      // "file:line in function"
};

// The calling thread's hub's spawned greenlets that have not finished, in spawn order. Empty when
// the thread has no hub. Hub thread only.
std::vector<GreenletInfo> run_info();
std::vector<GreenletInfo> run_info(Hub& hub);

// The greenlets as a tree by spawner, one line each, under a root line for the hub:
//   <hub: 3 greenlets, 1 ready>
//    +-- server (#1) parked 2.1s on fd 5 (read), spawned at main.cpp:40 in main
//    |    +-- Greenlet-2 (#2) parked 0.3s on Event, spawned at main.cpp:21 in handle
std::string format_run_info(const std::vector<GreenletInfo>& greenlets);
// format_run_info(run_info()), written to stderr in one write.
void print_run_info();

// On `sig` (SIGQUIT by default, as Go does), the calling thread's hub prints its run info to stderr
// on its next turn; the program otherwise carries on. The signal handler only sets a flag and wakes
// the hub (async-signal-safe); the printing happens on the hub thread, so a hub stuck in a greenlet
// prints when it comes back (the hub monitor reports a stuck hub). Call it from each thread whose
// hub should answer; the previous disposition of `sig` is replaced.
void install_dump_signal(int sig = SIGQUIT);

}  // namespace fern
