// AsyncGenerator: values that arrive across awaits, an exception out of next(), early destruction
// unwinding the generator, and the consumer's cancellation reaching a generator parked in a sleep.
#include "fern/aio/async_generator.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "fern/aio/sleep.hpp"
#include "fern/aio/spawn.hpp"
#include "fern/aio/sync.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/sync/queue.hpp"

using namespace std::chrono_literals;

namespace fern::aio {
namespace {

using Log = std::vector<std::string>;

AsyncGenerator<int> ticks(int n, Log& log) {
  struct Mark {
    Log& log;
    ~Mark() { log.push_back("generator unwound"); }
  } mark{log};
  for (int i = 1; i <= n; ++i) {
    co_await sleep(0ms);  // a real suspension through the hub between values
    co_yield i;
  }
}

Task<int> sum_of(AsyncGenerator<int> gen) {
  int sum = 0;
  while (std::optional<int> v = co_await gen.next()) sum += *v;
  co_return sum;
}

TEST(AsyncGenerator, YieldsValuesAcrossAwaits) {
  Log log;
  EXPECT_EQ(run(sum_of(ticks(4, log))), 10);
  EXPECT_EQ(log, Log{"generator unwound"});
}

// Values that come from a queue another greenlet fills: the generator waits, the consumer with it.
AsyncGenerator<std::string> drain(Queue<std::string>& q) {
  for (;;) {
    std::string item = co_await get(q);
    if (item.empty()) co_return;
    co_yield item;
  }
}

Task<Log> collect(Queue<std::string>& q) {
  Log got;
  auto gen = drain(q);
  while (auto item = co_await gen.next()) got.push_back(*item);
  co_return got;
}

TEST(AsyncGenerator, WaitsForValuesFromGreenlets) {
  Queue<std::string> q;
  auto producer = fern::spawn([&] {
    for (const char* s : {"a", "b", "c", ""}) {
      fern::sleep(1ms);
      q.put(s);
    }
  });
  EXPECT_EQ(run(collect(q)), (Log{"a", "b", "c"}));
}

AsyncGenerator<int> fails_after_one() {
  co_yield 1;
  throw std::runtime_error("generator failed");
}

Task<std::string> consume_failure() {
  auto gen = fails_after_one();
  std::string out = std::to_string(*co_await gen.next());
  try {
    (void)co_await gen.next();
  } catch (const std::runtime_error& e) {
    out += std::string(" then ") + e.what();
  }
  out += (co_await gen.next()).has_value() ? " more" : " end";
  co_return out;
}

TEST(AsyncGenerator, AnExceptionComesOutOfNext) {
  EXPECT_EQ(run(consume_failure()), "1 then generator failed end");
}

Task<int> first_only(Log& log) {
  auto gen = ticks(100, log);
  int first = *co_await gen.next();
  log.push_back("consumer done");
  co_return first;
}

TEST(AsyncGenerator, DroppedEarlyItsFrameUnwinds) {
  Log log;
  EXPECT_EQ(run(first_only(log)), 1);
  EXPECT_EQ(log, (Log{"consumer done", "generator unwound"}));
}

AsyncGenerator<int> slow(Log& log) {
  struct Mark {
    Log& log;
    ~Mark() { log.push_back("generator unwound"); }
  } mark{log};
  co_yield 1;
  co_await sleep(1h);
  co_yield 2;
}

Task<void> consume_slowly(Log& log) {
  auto gen = slow(log);
  (void)co_await gen.next();
  try {
    (void)co_await gen.next();
  } catch (const CancelledError&) {
    log.push_back("consumer cancelled");
    throw;
  }
}

TEST(AsyncGenerator, CancellingTheConsumerReachesTheParkedGenerator) {
  Log log;
  auto consumer = spawn(consume_slowly(log));
  fern::sleep(1ms);
  consumer.cancel();
  consumer.join();
  EXPECT_TRUE(consumer.cancelled());
  EXPECT_EQ(log, (Log{"generator unwound", "consumer cancelled"}));
}

}  // namespace
}  // namespace fern::aio
