// sleep: parks the current greenlet for a duration; the hub runs others meanwhile. sleep(0) (or
// yield()) lets every other ready greenlet run once and comes back.
#pragma once

#include "fern/base/clock.hpp"

namespace fern {

void sleep(Duration d);
void sleep_until(TimePoint deadline);
inline void yield() { sleep(Duration::zero()); }

}  // namespace fern
