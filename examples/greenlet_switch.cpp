// L1: greenlet's manual switch. Two greenlets hand control to each other explicitly; nothing is
// scheduled behind their backs, so the output order is fixed: 12, 56, 34, 78.
//
//   test1: print 12, switch to test2, print 34, switch to test2
//   test2: print 56, switch to test1, print 78, finish (control returns to main, its parent)
//
// test1 is left parked in its second switch; destroying it unwinds it with GreenletExit, as Python
// does when the greenlet object is collected.
//
// The final line also reports how long the switches took. Each transfer of control is timed from
// just before the switch to just after the other side resumes, so the printing is not counted.
#include <chrono>
#include <cstdio>
#include <vector>

#include "fern/greenlet/greenlet.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct SwitchTimer {
  Clock::time_point started;
  std::vector<Clock::duration> transfers;

  void before() { started = Clock::now(); }
  void after() { transfers.push_back(Clock::now() - started); }
};

long long ns(Clock::duration d) { return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(); }

}  // namespace

int main() {
  std::vector<int> order;
  SwitchTimer timer;
  auto say = [&](int n) {
    std::printf("%d\n", n);
    order.push_back(n);
  };

  fern::Greenlet* gr2_ptr = nullptr;
  fern::Greenlet gr1([&] {
    timer.after();  // main -> test1
    say(12);
    timer.before();
    gr2_ptr->switch_to();
    timer.after();  // test2 -> test1
    say(34);
    timer.before();
    gr2_ptr->switch_to();  // never returns: test2 finishes into main
  });
  fern::Greenlet gr2([&] {
    timer.after();  // test1 -> test2 (first start)
    say(56);
    timer.before();
    gr1.switch_to();
    timer.after();  // test1 -> test2
    say(78);
    timer.before();  // test2 finishes: control returns to main
  });
  gr2_ptr = &gr2;

  timer.before();
  gr1.switch_to();
  timer.after();  // test2's end -> main

  const std::vector<int> expected{12, 56, 34, 78};
  const bool as_seed = order == expected && timer.transfers.size() == 5;
  std::printf("order:");
  for (int n : order) std::printf(" %d", n);
  std::printf(" (%s);", as_seed ? "as the seed" : "NOT the seed's order");
  if (timer.transfers.size() == 5) {
    Clock::duration switches{};
    for (int i = 0; i < 4; ++i) switches += timer.transfers[i];
    // The first switch into each greenlet also takes its stack from the pool (mapping it the first time).
    std::printf(
        " the 4 switches took %lld ns (%lld and %lld ns starting test1 and test2, then %lld and %lld ns),",
        ns(switches), ns(timer.transfers[0]), ns(timer.transfers[1]), ns(timer.transfers[2]),
        ns(timer.transfers[3]));
    std::printf(" and test2 returning to main %lld ns\n", ns(timer.transfers[4]));
  } else {
    std::printf(" %zu transfers of control instead of 5\n", timer.transfers.size());
  }
  return as_seed ? 0 : 1;
}
