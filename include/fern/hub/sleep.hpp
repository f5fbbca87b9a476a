// sleep: parks the current greenlet for a duration; the hub runs others meanwhile. sleep(0) (or
// yield()) lets every other ready greenlet run once and comes back. idle() (gevent's) parks until the
// hub has nothing else to run: every greenlet and callback that was ready, and each one they made
// ready in turn, has run (timers not yet due and I/O not yet arrived do not count).
#pragma once

#include "fern/base/clock.hpp"

namespace fern {

void sleep(Duration d);
void sleep_until(TimePoint deadline);
inline void yield() { sleep(Duration::zero()); }
void idle();

}  // namespace fern
