// submit: jobs run on the pool's threads while the submitting greenlet goes on; their values and
// exceptions reach greenlets through get() and fern::wait.
#include "fern/sync/thread_result.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>
#include <vector>

#include "fern/hub/wait.hpp"

namespace fern {
namespace {

TEST(Submit, ManyJobsInFlightFromOneGreenlet) {
  ThreadPool pool(4);
  const std::thread::id hub_thread = std::this_thread::get_id();
  std::vector<std::shared_ptr<AsyncResult<long>>> results;
  for (long i = 1; i <= 20; ++i) {
    results.push_back(submit(pool, [i, hub_thread] {
      if (std::this_thread::get_id() == hub_thread) throw std::logic_error("ran on the hub's thread");
      return i * i;
    }));
  }
  long sum = 0;
  for (auto& r : results) sum += r->get();
  EXPECT_EQ(sum, 2870);
}

TEST(Submit, AnExceptionReachesTheWaiter) {
  ThreadPool pool(1);
  auto failed = submit(pool, []() -> int { throw std::runtime_error("job failed"); });
  auto fine = submit(pool, [] {});
  EXPECT_EQ(wait({*failed, *fine}).size(), 2u);
  EXPECT_THROW(failed->get(), std::runtime_error);
  EXPECT_NO_THROW(fine->get());
}

}  // namespace
}  // namespace fern
