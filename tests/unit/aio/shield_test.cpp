// shield: cancelling the awaiting task ends its await, not the shielded work.
#include "fern/aio/shield.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fern/aio/sleep.hpp"
#include "fern/aio/sync.hpp"
#include "fern/hub/sleep.hpp"

using namespace std::chrono_literals;

namespace fern::aio {
namespace {

using Log = std::vector<std::string>;

Task<int> must_finish(Log& log, Event& go) {
  co_await wait(go);
  log.push_back("shielded work finished");
  co_return 1;
}

Task<void> awaits_shielded(Log& log, Event& go) {
  try {
    (void)co_await shield(must_finish(log, go));
    log.push_back("await returned");
  } catch (const CancelledError&) {
    log.push_back("awaiting task cancelled");
    throw;
  }
}

TEST(Shield, CancellingTheAwaiterDoesNotCancelTheShieldedTask) {
  Log log;
  Event go;
  auto outer = spawn(awaits_shielded(log, go));
  fern::sleep(0ms);  // both tasks are suspended: the outer on the shielded one, that one on `go`
  outer.cancel();
  outer.join();
  EXPECT_EQ(log, Log{"awaiting task cancelled"});
  go.set();
  fern::sleep(0ms);
  fern::sleep(0ms);  // the shielded work was not cancelled: it finishes on its own
  EXPECT_EQ(log, (Log{"awaiting task cancelled", "shielded work finished"}));
}

}  // namespace
}  // namespace fern::aio
