#include "fern/sync/channel.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "fern/base/error.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/timeout.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

TEST(Channel, PutReturnsOnlyOnceAGetterTookTheItem) {
  Channel<std::string> ch;
  std::vector<std::string> log;
  auto putter = spawn([&] {
    ch.put("hello");
    log.push_back("put returned");
  });
  yield();
  yield();
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(ch.putters_waiting(), 1u);
  EXPECT_EQ(ch.balance(), -1);
  log.push_back("got " + ch.get());
  putter->join();
  EXPECT_EQ(log, (std::vector<std::string>{"got hello", "put returned"}));
}

TEST(Channel, HandsItemsOverInTheOrderPutsBegan) {
  Channel<int> ch;
  std::vector<int> returned;
  std::vector<GreenletRef<>> putters;
  for (int i = 1; i <= 3; ++i)
    putters.push_back(spawn([&, i] {
      ch.put(i);
      returned.push_back(i);
    }));
  yield();
  std::vector<int> got;
  for (int i = 0; i < 3; ++i) got.push_back(ch.get());
  joinall(putters);
  EXPECT_EQ(got, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(returned, (std::vector<int>{1, 2, 3}));
}

TEST(Channel, GettersAreServedInArrivalOrder) {
  Channel<int> ch;
  std::vector<std::pair<int, int>> got;  // (getter, item)
  std::vector<GreenletRef<>> getters;
  for (int i = 0; i < 3; ++i) getters.push_back(spawn([&, i] { got.emplace_back(i, ch.get()); }));
  yield();
  EXPECT_EQ(ch.balance(), 3);
  for (int v = 10; v < 13; ++v) ch.put(v);
  joinall(getters);
  EXPECT_EQ(got, (std::vector<std::pair<int, int>>{{0, 10}, {1, 11}, {2, 12}}));
}

TEST(Channel, TimeoutsThrowEmptyAndFullAndDeliverNothing) {
  Channel<int> ch;
  try {
    ch.get(1ms);
    FAIL() << "expected QueueEmpty";
  } catch (const QueueEmpty& e) {
    EXPECT_EQ(e.code(), Errc::timed_out);
  }
  try {
    ch.put(1, 1ms);
    FAIL() << "expected QueueFull";
  } catch (const QueueFull& e) {
    EXPECT_EQ(e.code(), Errc::timed_out);
  }
  EXPECT_EQ(ch.putters_waiting(), 0u);
  EXPECT_THROW(ch.get(1ms), QueueEmpty);  // the expired put left nothing behind
  EXPECT_THROW(ch.put(1, Duration::zero()), QueueFull);
}

TEST(Channel, NowaitFormsNeedAPartnerAlreadyWaiting) {
  Channel<int> ch;
  EXPECT_THROW(ch.put_nowait(1), QueueFull);
  EXPECT_THROW(ch.get_nowait(), QueueEmpty);
  auto getter = spawn([&] { return ch.get(); });
  yield();
  ch.put_nowait(2);
  EXPECT_EQ(getter.get(), 2);
  auto putter = spawn([&] { ch.put(3); });
  yield();
  EXPECT_EQ(ch.get_nowait(), 3);
  putter->join();
  EXPECT_TRUE(putter->successful());
}

TEST(Channel, KilledPutterTakesItsItemBack) {
  Channel<int> ch;
  auto putter = spawn([&] { ch.put(1); });
  yield();
  putter->kill();
  EXPECT_EQ(ch.putters_waiting(), 0u);
  EXPECT_THROW(ch.get_nowait(), QueueEmpty);
}

TEST(Channel, TimeoutScopeInPutTakesTheItemBack) {
  Channel<int> ch;
  auto putter = spawn([&] {
    Timeout t(1ms);
    ch.put(1);
  });
  putter->join();
  EXPECT_THROW(putter.get(), TimeoutError);
  EXPECT_THROW(ch.get(1ms), QueueEmpty);
}

TEST(Channel, PromisedGetterKilledBeforeItRunsPassesTheItemOn) {
  Channel<int> ch;
  auto victim = spawn([&] { return ch.get(); });
  auto other = spawn([&] { return ch.get(); });
  yield();
  ch.put_nowait(9);              // promised to `victim`...
  victim->kill(nullptr, false);  // ...which is killed before it runs
  EXPECT_EQ(other.get(), 9);
  EXPECT_TRUE(victim->killed());
}

TEST(Channel, MoveOnlyItems) {
  Channel<std::unique_ptr<int>> ch;
  auto putter = spawn([&] { ch.put(std::make_unique<int>(4)); });
  EXPECT_EQ(*ch.get(), 4);
  putter->join();
}

TEST(Channel, DestroyedWithAParkedPutterRaisesClosedInIt) {
  auto ch = std::make_unique<Channel<int>>();
  std::error_code seen;
  auto putter = spawn([&, raw = ch.get()] {
    try {
      raw->put(1);
    } catch (const std::system_error& e) {
      seen = e.code();
    }
  });
  yield();
  ch.reset();
  putter->join();
  EXPECT_EQ(seen, Errc::closed);
}

}  // namespace
}  // namespace fern
