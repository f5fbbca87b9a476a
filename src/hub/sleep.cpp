#include "fern/hub/sleep.hpp"

#include "fern/hub/waiter.hpp"

namespace fern {

void sleep(Duration d) {
  Waiter w;
  w.waits_on({"sleep"});
  w.park(d <= Duration::zero() ? TimePoint::min() : deadline_after(d));
}

void sleep_until(TimePoint deadline) {
  Waiter w;
  w.waits_on({"sleep"});
  w.park(deadline);
}

}  // namespace fern
