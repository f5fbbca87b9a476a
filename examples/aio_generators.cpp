// aio_generators: lesson L13, the generator programs of the seed with fern::aio::Generator, in the
// seed's print order:
//   1. yield: next() runs the body a piece at a time (1, 2, 3, 4);
//   2. send(): wakes the generator and hands it a value;
//   3. yield from: one generator hands over the values of two others;
//   4. the mini scheduler: generators yield the time they want to be woken at, and a loop sleeps
//      until the nearest one and resumes that generator (a tiny event loop, the idea under asyncio).
//
//   aio_generators [seconds]   (the scheduler's sleep; default 1, the seed uses 8)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>

#include "fern/aio/generator.hpp"

namespace {

using fern::aio::Generator;
using Clock = std::chrono::steady_clock;

Generator<int> func() {
  std::puts("1. inside the function");
  co_yield 0;
  std::puts("3. back inside the function");
}

void lesson_yield() {
  auto g = func();
  g.next();
  std::puts("2. switched out of the function");
  if (!g.next()) {
    // Python raises StopIteration here; next() returns nullopt.
  }
  std::puts("4. switched out again");
}

Generator<std::string, std::string> greeter() {
  std::string name = co_yield "who is there?";
  while (!name.empty()) name = co_yield "hello, " + name;
}

void lesson_send() {
  auto g = greeter();
  std::printf("%s\n", g.next()->c_str());  // primes it: runs to the first yield
  std::printf("%s\n", g.send("greenlet")->c_str());
  std::printf("%s\n", g.send("asyncio")->c_str());
}

Generator<std::string> coroutine1() {
  std::puts("in coroutine1");
  co_yield "coroutine1";
}
Generator<std::string> coroutine2() {
  std::puts("in coroutine2");
  co_yield "coroutine2";
}
Generator<std::string> delegating() {
  std::puts("in func");
  co_yield fern::aio::yield_from(coroutine1());  // yield from coroutine1(n)
  co_yield fern::aio::yield_from(coroutine2());
}

void lesson_yield_from() {
  auto g = delegating();
  auto ret1 = g.next();
  auto ret2 = g.next();
  std::printf("%s %s\n", ret1->c_str(), ret2->c_str());
}

Generator<Clock::time_point> sleeper(Clock::duration n) {
  std::puts("start sleep");
  co_yield Clock::now() + n;  // the time to switch back here
  std::puts("end sleep");
}
Generator<Clock::time_point> scheduled(Clock::duration n) {
  std::puts("1. inside the function");
  co_yield sleeper(n);
}

void lesson_scheduler(Clock::duration n) {
  auto g1 = scheduled(n);
  auto g2 = scheduled(n);
  std::multimap<Clock::time_point, Generator<Clock::time_point>*> wake_times;
  wake_times.emplace(*g1.next(), &g1);
  wake_times.emplace(*g2.next(), &g2);
  const auto t0 = Clock::now();
  while (!wake_times.empty()) {
    auto nearest = wake_times.begin();  // the nearest wake time
    std::this_thread::sleep_until(nearest->first);
    Generator<Clock::time_point>* g = nearest->second;
    wake_times.erase(nearest);
    if (auto again = g->next()) wake_times.emplace(*again, g);  // switch back into it
  }
  std::printf("both slept in %.2f s\n", std::chrono::duration<double>(Clock::now() - t0).count());
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
  std::puts("-- yield");
  lesson_yield();
  std::puts("-- send");
  lesson_send();
  std::puts("-- yield from");
  lesson_yield_from();
  std::puts("-- scheduler");
  lesson_scheduler(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)));
  return 0;
}
