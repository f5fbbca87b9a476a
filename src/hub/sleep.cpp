#include "fern/hub/sleep.hpp"

#include "fern/hub/hub.hpp"
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

void idle() {
  // Each sleep(0) lets a whole batch run (and the hub poll I/O without waiting); what that batch
  // made ready is run by the next one.
  do {
    sleep(Duration::zero());
  } while (Hub::current().ready_count() > 0);
}

}  // namespace fern
