// The link between cooperating threads and the hub monitor: a thread is watched from its first
// cooperative hooked call (or patch_all()) until it exits, with the block threshold the hook's
// settings give (block_watchdog.hpp).
#pragma once

#include <fern/hub/hub.hpp>

namespace fern::hook {

// Starts the hub monitor for the calling thread's hub, unless the thread is already watched (by an
// earlier call, or by the program's own start_monitor). Cheap after the first call on a thread.
void watch_current_thread(Hub& hub) noexcept;

}  // namespace fern::hook
