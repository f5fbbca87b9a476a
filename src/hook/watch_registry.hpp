// The link between cooperating threads and the block watchdog (block_watchdog.cpp): a thread is
// watched from its first cooperative hooked call (or patch_all()) until it exits.
#pragma once

#include <fern/hub/hub.hpp>

namespace fern::hook {

// Registers the calling thread (its hub, its running-greenlet slot) with the watchdog, starting the
// watchdog on first use. Cheap after the first call on a thread.
void watch_current_thread(Hub& hub) noexcept;

// Marks the current greenlet as parked in a hooked call for its lifetime: while any is, the main
// greenlet holding the hub is reported too (someone is waiting for it).
class ParkedInHook {
 public:
  ParkedInHook() noexcept;
  ParkedInHook(const ParkedInHook&) = delete;
  ParkedInHook& operator=(const ParkedInHook&) = delete;
  ~ParkedInHook();
};

}  // namespace fern::hook
