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
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/sync/event.hpp"

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
  for (;;) context::switch_context(&pair->peer_sp, pair->main_sp, nullptr);
}

}  // namespace

double fern_raw_jump(long switches) {
  const long round_trips = switches / 2;
  context::Stack stack = context::map_stack(64 * 1024);
  RawPair pair;
  pair.peer_sp = context::make_context(stack.top(), &raw_peer, &pair);
  context::switch_context(&pair.main_sp, pair.peer_sp, nullptr);  // first entry, outside the timed loop
  const auto start = Clock::now();
  for (long i = 0; i < round_trips; ++i) context::switch_context(&pair.main_sp, pair.peer_sp, nullptr);
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

namespace {

void print_per_greenlet(long rss_before, long pte_before, long count) {
  const double rss = static_cast<double>(resident_bytes() - rss_before) / static_cast<double>(count);
  const double pte = static_cast<double>(page_table_bytes() - pte_before) / static_cast<double>(count);
  std::printf("%.1f %.1f\n", rss, pte);
  std::fflush(stdout);
}

[[noreturn]] void die_after(std::size_t made, const std::exception& e) {
  std::printf("error after %zu greenlets: %s\n", made, e.what());
  std::fflush(stdout);
  std::_Exit(2);
}

// Raw greenlets, each switched into once and parked in a switch back to main. The handles'
// storage is touched before the baseline: it is the caller's, not the greenlet's.
template <class Handle, class Make>
int park_raw(long count, Make make) {
  Greenlet* main = Greenlet::current();
  make([main] { main->switch_to(); })->switch_to();  // warm-up: thread state and the first region
  std::vector<Handle> parked(static_cast<std::size_t>(count));
  const long rss_before = resident_bytes();
  const long pte_before = page_table_bytes();
  std::size_t made = 0;
  try {
    for (; made < parked.size(); ++made) {
      parked[made] = make([main] { main->switch_to(); });
      parked[made]->switch_to();
    }
  } catch (const std::system_error& e) {
    die_after(made, e);
  }
  print_per_greenlet(rss_before, pte_before, count);
  // Unwinding a million parked greenlets measures nothing; the process ends here.
  std::_Exit(0);
}

// Spawned greenlets parked in Event::wait, started in batches so the hub's ready queue stays small.
int park_spawned(long count) {
  const SpawnOptions options{"", GreenletOptions{context::kDenseStackSize, StackMode::dense}};
  Event never;
  spawn_with(options, [&never] { never.wait(); });
  fern::sleep(Duration::zero());  // warm-up: the hub, its stack and the first region
  const long rss_before = resident_bytes();
  const long pte_before = page_table_bytes();
  constexpr long kBatch = 1000;
  long made = 0;
  try {
    while (made < count) {
      for (long i = 0; i < kBatch && made < count; ++i, ++made)
        spawn_with(options, [&never] { never.wait(); });
      fern::sleep(Duration::zero());
    }
  } catch (const std::system_error& e) {
    die_after(static_cast<std::size_t>(made), e);
  }
  print_per_greenlet(rss_before, pte_before, count);
  std::_Exit(0);
}

}  // namespace

int fern_parked_rss_child(ParkedKind kind, long count) {
  switch (kind) {
    case ParkedKind::guarded:
    case ParkedKind::dense_heap: {
      const GreenletOptions options{context::kDefaultStackSize,
                                    kind == ParkedKind::guarded ? StackMode::guarded : StackMode::dense};
      return park_raw<std::unique_ptr<Greenlet>>(count, [options](auto body) {
        return std::make_unique<Greenlet>(std::move(body), nullptr, options);
      });
    }
    case ParkedKind::dense:
      return park_raw<Greenlet::Ptr>(count, [](auto body) { return Greenlet::make_dense(std::move(body)); });
    case ParkedKind::spawned_dense: return park_spawned(count);
  }
  return 2;
}

}  // namespace fern::bench
