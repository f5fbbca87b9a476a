// Barrier: parties pass together, round after round; the action runs once per round in the last
// arrival; a timeout, a kill, abort() or a failing action break it; reset() makes it usable again.
#include "fern/sync/barrier.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

TEST(Barrier, PartiesPassTogetherRoundAfterRound) {
  int actions = 0;
  Barrier barrier(3, [&] { ++actions; });
  std::vector<std::string> log;
  std::vector<GreenletRef<std::vector<std::size_t>>> parties;
  for (int p = 0; p < 3; ++p) {
    parties.push_back(spawn([&, p] {
      std::vector<std::size_t> indices;
      for (int round = 0; round < 2; ++round) {
        log.push_back("arrive " + std::to_string(round));
        indices.push_back(barrier.wait());
        log.push_back("pass " + std::to_string(round));
      }
      (void)p;
      return indices;
    }));
  }
  joinall(parties);
  EXPECT_EQ(actions, 2);
  // Nobody passes a round before all three arrived at it.
  for (int round = 0; round < 2; ++round) {
    auto first_pass = std::find(log.begin(), log.end(), "pass " + std::to_string(round)) - log.begin();
    auto arrivals = std::count(log.begin(), log.begin() + first_pass, "arrive " + std::to_string(round));
    EXPECT_EQ(arrivals, 3) << "round " << round;
  }
  std::vector<std::size_t> first_round;
  for (auto& p : parties) first_round.push_back(p.get()[0]);
  std::sort(first_round.begin(), first_round.end());
  EXPECT_EQ(first_round, (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_FALSE(barrier.broken());
}

TEST(Barrier, ATimeoutBreaksItForEveryWaiter) {
  Barrier barrier(3);
  auto patient = spawn([&] { barrier.wait(); });
  sleep(0ms);
  EXPECT_THROW(barrier.wait(1ms), BrokenBarrier);
  EXPECT_THROW(patient.get(), BrokenBarrier);
  EXPECT_TRUE(barrier.broken());
  EXPECT_THROW(barrier.wait(), BrokenBarrier);  // until reset
}

TEST(Barrier, AKilledWaiterBreaksIt) {
  Barrier barrier(3);
  auto other = spawn([&] { barrier.wait(); });
  auto killed = spawn([&] { barrier.wait(); });
  sleep(0ms);
  killed->kill();
  EXPECT_THROW(other.get(), BrokenBarrier);
}

TEST(Barrier, AFailingActionBreaksItAndReachesTheLastArrival) {
  Barrier barrier(2, [] { throw std::runtime_error("action failed"); });
  auto first = spawn([&] { barrier.wait(); });
  sleep(0ms);
  EXPECT_THROW(barrier.wait(), std::runtime_error);
  EXPECT_THROW(first.get(), BrokenBarrier);
}

TEST(Barrier, ResetBreaksTheWaitingRoundAndStartsAfresh) {
  Barrier barrier(2);
  auto waiting = spawn([&] { barrier.wait(); });
  sleep(0ms);
  EXPECT_EQ(barrier.n_waiting(), 1u);
  barrier.reset();
  EXPECT_THROW(waiting.get(), BrokenBarrier);
  EXPECT_FALSE(barrier.broken());
  EXPECT_EQ(barrier.n_waiting(), 0u);
  auto partner = spawn([&] { return barrier.wait(); });
  std::size_t mine = barrier.wait();
  EXPECT_EQ(mine + partner.get(), 1u);  // indices 0 and 1
}

TEST(Barrier, AbortBreaksItUntilReset) {
  Barrier barrier(2);
  barrier.abort();
  EXPECT_THROW(barrier.wait(), BrokenBarrier);
  barrier.reset();
  auto partner = spawn([&] { barrier.wait(); });
  barrier.wait();
  partner.get();
}

}  // namespace
}  // namespace fern
