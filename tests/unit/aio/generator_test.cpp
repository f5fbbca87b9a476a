#include "fern/aio/generator.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace fern::aio {
namespace {

using Log = std::vector<std::string>;

// L13, first program: code runs only between next() calls.
Generator<int> func(Log& log) {
  log.push_back("1. inside the function");
  co_yield 0;
  log.push_back("3. back inside the function");
}

TEST(Generator, NextRunsTheBodyStepByStep) {
  Log log;
  auto g = func(log);
  EXPECT_TRUE(log.empty());  // lazy: nothing runs before the first next()
  EXPECT_EQ(g.next(), 0);
  log.push_back("2. outside the function");
  EXPECT_EQ(g.next(), std::nullopt);  // Python's StopIteration
  log.push_back("4. outside again");
  EXPECT_EQ(log, (Log{"1. inside the function", "2. outside the function", "3. back inside the function",
                      "4. outside again"}));
  EXPECT_TRUE(g.done());
  EXPECT_EQ(g.next(), std::nullopt);
}

// L13, second program: yield from.
Generator<std::string> coroutine1(Log& log) {
  log.push_back("in coroutine1");
  co_yield "coroutine1";
}
Generator<std::string> coroutine2(Log& log) {
  log.push_back("in coroutine2");
  co_yield "coroutine2";
}
Generator<std::string> delegating(Log& log) {
  log.push_back("in func");
  co_yield yield_from(coroutine1(log));
  co_yield coroutine2(log);
}

TEST(Generator, YieldFromHandsOverEveryValueInOrder) {
  Log log;
  auto g = delegating(log);
  auto ret1 = g.next();
  auto ret2 = g.next();
  EXPECT_EQ(ret1, "coroutine1");
  EXPECT_EQ(ret2, "coroutine2");
  EXPECT_EQ(log, (Log{"in func", "in coroutine1", "in coroutine2"}));
  EXPECT_EQ(g.next(), std::nullopt);
}

// send(): wakes the generator and hands it a value (a running total, the classic example).
Generator<int, int> running_total() {
  int total = 0;
  for (;;) total += co_yield total;
}

TEST(Generator, SendDeliversTheValueOfTheYield) {
  auto g = running_total();
  EXPECT_EQ(g.next(), 0);  // primes it, as next() must in Python
  EXPECT_EQ(g.send(5), 5);
  EXPECT_EQ(g.send(10), 15);
  EXPECT_EQ(g.next(), 15);  // next() sends Send{} (0 here)
}

Generator<int, int> echo_sub(Log& log) {
  int got = co_yield 1;
  log.push_back("sub got " + std::to_string(got));
}
Generator<int, int> echo_outer(Log& log) {
  co_yield yield_from(echo_sub(log));
  int got = co_yield 2;
  log.push_back("outer got " + std::to_string(got));
}

TEST(Generator, SentValuesReachTheInnermostDelegate) {
  Log log;
  auto g = echo_outer(log);
  EXPECT_EQ(g.next(), 1);
  EXPECT_EQ(g.send(7), 2);
  EXPECT_EQ(g.send(9), std::nullopt);
  EXPECT_EQ(log, (Log{"sub got 7", "outer got 9"}));
}

Generator<int> thrower() {
  co_yield 1;
  throw std::runtime_error("inner");
}
Generator<int> catcher(Log& log) {
  try {
    co_yield thrower();
  } catch (const std::runtime_error& e) {
    log.push_back(e.what());
  }
  co_yield 2;
}

TEST(Generator, ADelegateExceptionRisesInTheDelegatingGenerator) {
  Log log;
  auto g = catcher(log);
  EXPECT_EQ(g.next(), 1);
  EXPECT_EQ(g.next(), 2);
  EXPECT_EQ(log, Log{"inner"});
}

TEST(Generator, AnUncaughtExceptionComesOutOfNext) {
  auto g = thrower();
  EXPECT_EQ(g.next(), 1);
  EXPECT_THROW(g.next(), std::runtime_error);
  EXPECT_TRUE(g.done());
}

Generator<int> count_to(int n) {
  for (int i = 1; i <= n; ++i) co_yield i;
}
Generator<int> nested(int depth) {
  if (depth == 0) {
    co_yield count_to(3);
  } else {
    co_yield nested(depth - 1);
  }
}

TEST(Generator, RangeForAndDeepDelegation) {
  std::vector<int> seen;
  for (int v : nested(50)) seen.push_back(v);
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3}));
}

TEST(Generator, DestroyingASuspendedGeneratorUnwindsIt) {
  struct Flag {
    bool* set;
    ~Flag() { *set = true; }
  };
  bool unwound = false;
  {
    auto g = [](bool* u) -> Generator<int> {
      Flag f{u};
      co_yield 1;
      co_yield 2;
    }(&unwound);
    EXPECT_EQ(g.next(), 1);
    EXPECT_FALSE(unwound);
  }
  EXPECT_TRUE(unwound);
}

}  // namespace
}  // namespace fern::aio
