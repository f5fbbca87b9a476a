// fern's side of bench/switch: greenlet ping-pong, the raw context jump, spawn+finish, and the
// resident memory of parked greenlets.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "cases.hpp"
#include "fern/context/machine_context.hpp"
#include "fern/context/stack.hpp"

namespace fern::bench {

double fern_pingpong(StackMode mode, long switches) {
  const GreenletOptions options{context::kDefaultStackSize, mode};
  const long round_trips = switches / 2;
  Greenlet* a_ptr = nullptr;
  // b bounces every switch straight back; it stays parked at the end and is unwound by ~Greenlet.
  Greenlet b(
      [&] {
        for (;;) a_ptr->switch_to();
      },
      nullptr, options);
  double result = 0;
  Greenlet a(
      [&] {
        b.switch_to();  // first start of b, outside the timed loop
        const auto start = Clock::now();
        for (long i = 0; i < round_trips; ++i) b.switch_to();
        result = ns_per_op(start, Clock::now(), 2 * round_trips);
      },
      nullptr, options);
  a_ptr = &a;
  a.switch_to();
  return result;
}

namespace {

struct RawPair {
  void* main_sp = nullptr;
  void* peer_sp = nullptr;
};

[[noreturn]] void raw_peer(void* arg, void*) noexcept {
  auto* pair = static_cast<RawPair*>(arg);
  for (;;) context::jump(&pair->peer_sp, pair->main_sp, nullptr);
}

}  // namespace

double fern_raw_jump(long switches) {
  const long round_trips = switches / 2;
  context::Stack stack = context::map_stack(64 * 1024);
  RawPair pair;
  pair.peer_sp = context::make_context(stack.top(), &raw_peer, &pair);
  context::jump(&pair.main_sp, pair.peer_sp, nullptr);  // first entry, outside the timed loop
  const auto start = Clock::now();
  for (long i = 0; i < round_trips; ++i) context::jump(&pair.main_sp, pair.peer_sp, nullptr);
  const double result = ns_per_op(start, Clock::now(), 2 * round_trips);
  context::unmap_stack(stack);  // the peer's frame owns nothing
  return result;
}

double fern_spawn_finish(StackMode mode, long ops) {
  const GreenletOptions options{context::kDefaultStackSize, mode};
  {
    Greenlet warm([] {}, nullptr, options);  // thread state and a pooled stack, outside the timing
    warm.switch_to();
  }
  const auto start = Clock::now();
  for (long i = 0; i < ops; ++i) {
    Greenlet g([] {}, nullptr, options);
    g.switch_to();
  }
  return ns_per_op(start, Clock::now(), ops);
}

namespace {

long resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * ::sysconf(_SC_PAGESIZE);
}

// Page tables are not part of RSS, but guarded stacks, each in its own region, cost some.
long page_table_bytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmPTE:") {
      long kib = 0;
      status >> kib;
      return kib * 1024;
    }
    status.ignore(4096, '\n');
  }
  return 0;
}

}  // namespace

int fern_parked_rss_child(StackMode mode, long count) {
  const GreenletOptions options{context::kDefaultStackSize, mode};
  Greenlet* main = Greenlet::current();
  {
    Greenlet warm([] {}, nullptr, options);  // per-thread state and the first region, not per greenlet
    warm.switch_to();
  }
  std::vector<std::unique_ptr<Greenlet>> parked;
  parked.reserve(static_cast<std::size_t>(count));
  const long rss_before = resident_bytes();
  const long pte_before = page_table_bytes();
  try {
    for (long i = 0; i < count; ++i) {
      parked.push_back(std::make_unique<Greenlet>([main] { main->switch_to(); }, nullptr, options));
      parked.back()->switch_to();
    }
  } catch (const std::system_error& e) {
    std::printf("error after %zu greenlets: %s\n", parked.size(), e.what());
    std::fflush(stdout);
    std::_Exit(2);
  }
  const double rss = static_cast<double>(resident_bytes() - rss_before) / static_cast<double>(count);
  const double pte = static_cast<double>(page_table_bytes() - pte_before) / static_cast<double>(count);
  std::printf("%.1f %.1f\n", rss, pte);
  std::fflush(stdout);
  // Unwinding a million parked greenlets measures nothing; the process ends here.
  std::_Exit(0);
}

}  // namespace fern::bench
