// stats: a hub's counters and gauges as data, for dashboards and for tests (Go's runtime metrics,
// gevent's hub introspection). Everything here is kept by the hub as it runs at the cost of an
// increment or a compare; stats() only gathers it, on the hub thread.
//
// Stack use is a lower bound: a greenlet's depth is noted whenever it parks (one compare), and the
// deepest seen per spawn site is kept in a small table the hub updates when a greenlet finishes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace fern {

class Hub;

struct StackUse {
  std::string site;             // spawn site, "file:line"
  std::string name;             // the name of the last greenlet from that site
  std::size_t peak = 0;         // deepest stack seen at a park, bytes
  std::size_t capacity = 0;     // that greenlet's stack size, bytes
  std::uint64_t greenlets = 0;  // how many finished from that site
};

struct HubStats {
  std::uint64_t loop_turns = 0;
  std::uint64_t switches = 0;  // greenlets resumed by the hub or handed off to directly
  std::uint64_t polls = 0;     // calls into the driver
  std::uint64_t greenlets_spawned = 0;
  std::size_t greenlets_live = 0;
  std::size_t ready = 0;                              // queued to run
  std::size_t timers = 0;                             // armed
  std::size_t fd_waits = 0;                           // waits linked in the driver
  std::size_t external_refs = 0;                      // thread-pool jobs and other work that will come back
  std::map<std::string, std::size_t> parked_by_kind;  // "fd", "Event", "sleep", ...
  std::vector<StackUse> stack_use;                    // per spawn site, deepest first
};

// The calling thread's hub's stats (a hub is made if there is none). Hub thread only.
HubStats stats();
HubStats stats(Hub& hub);

// The stats in Prometheus' text exposition format (fern_hub_* metrics).
std::string format_prometheus(const HubStats& stats);

}  // namespace fern
