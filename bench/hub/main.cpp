// bench_hub: sleep(0), spawn+join, Event handoff and Queue ping-pong on fern's hub, against gevent
// (/usr/bin/python3) and Boost.Fiber, in alternating rounds (BENCH.md). Prints tables and RATIO
// lines; --markdown FILE writes the results table.
//
//   bench_hub [--quick] [--rounds N] [--python PATH] [--markdown FILE]
#include <sys/utsname.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/sync/event.hpp"
#include "fern/sync/queue.hpp"
#include "ops.hpp"
#include "rounds.hpp"

namespace fern::bench {

double fern_sleep0(long n) {
  auto loop = [n] {
    for (long i = 0; i < n; ++i) fern::sleep(Duration::zero());
  };
  auto t0 = std::chrono::steady_clock::now();
  joinall({spawn(loop), spawn(loop)});
  return per_op(t0, 2 * n);
}

double fern_spawn_join(long n) {
  auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i) spawn([] {})->join();
  return per_op(t0, n);
}

double fern_event(long n) {
  Event ping, pong;
  auto t0 = std::chrono::steady_clock::now();
  auto a = spawn([&] {
    for (long i = 0; i < n; ++i) {
      ping.set();
      pong.wait();
      pong.clear();
    }
  });
  auto b = spawn([&] {
    for (long i = 0; i < n; ++i) {
      ping.wait();
      ping.clear();
      pong.set();
    }
  });
  joinall({a, b});
  return per_op(t0, 2 * n);
}

double fern_queue(long n) {
  Queue<long> there, back;
  auto t0 = std::chrono::steady_clock::now();
  auto a = spawn([&] {
    for (long i = 0; i < n; ++i) {
      there.put(i);
      back.get();
    }
  });
  auto b = spawn([&] {
    for (long i = 0; i < n; ++i) back.put(there.get());
  });
  joinall({a, b});
  return per_op(t0, 2 * n);
}

}  // namespace fern::bench

namespace {

using fern::bench::Row;
using fern::bench::Section;

std::string python = "/usr/bin/python3";

double gevent_op(const std::string& op, long n) {
  std::string cmd =
      python + " " + FERN_BENCH_PEER_SCRIPT + " " + op + " " + std::to_string(n) + " 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return NAN;
  double v = NAN;
  if (std::fscanf(p, "%lf", &v) != 1) v = NAN;
  ::pclose(p);
  return v;
}

Section make_section(const std::string& name, const std::string& title, long n_fern, long n_peer,
                     double (*fern_fn)(long), double (*boost_fn)(long), const std::string& gevent_name) {
  Section s;
  s.name = name;
  s.title = title;
  s.unit = "ns/op";
  s.rows.push_back({"fern", "fern", [=] { return fern_fn(n_fern); }, {}, ""});
  std::vector<std::string> peers;
  if (boost_fn) {
    s.rows.push_back({"boost_fiber", "Boost.Fiber", [=] { return boost_fn(n_fern); }, {}, ""});
    peers.push_back("boost_fiber");
  }
  s.rows.push_back({"gevent", "gevent", [=] { return gevent_op(gevent_name, n_peer); }, {}, ""});
  peers.push_back("gevent");
  s.comparisons.push_back({name, "fern", peers});
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  int rounds = 3;
  std::string markdown;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) quick = true;
    if (!std::strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = std::atoi(argv[++i]);
    if (!std::strcmp(argv[i], "--python") && i + 1 < argc) python = argv[++i];
    if (!std::strcmp(argv[i], "--markdown") && i + 1 < argc) markdown = argv[++i];
  }
  utsname u{};
  ::uname(&u);
  std::printf("machine: nproc=%ld kernel=%s\n", ::sysconf(_SC_NPROCESSORS_ONLN), u.release);
  const long k = quick ? 1 : 5;
  using namespace fern::bench;
#ifdef FERN_BENCH_HAVE_BOOST
  auto b_yield = &boost_yield, b_spawn = &boost_spawn_join, b_event = &boost_event, b_queue = &boost_queue;
#else
  double (*b_yield)(long) = nullptr, (*b_spawn)(long) = nullptr, (*b_event)(long) = nullptr,
         (*b_queue)(long) = nullptr;
#endif
  std::vector<Section> sections = {
      make_section("hub_sleep0", "sleep(0) round: two greenlets yielding", 200000 * k, 20000 * k,
                   &fern_sleep0, b_yield, "sleep0"),
      make_section("hub_spawn_join", "spawn + join", 100000 * k, 5000 * k, &fern_spawn_join, b_spawn,
                   "spawn_join"),
      make_section("hub_event", "Event set/wait handoff between two greenlets", 100000 * k, 10000 * k,
                   &fern_event, b_event, "event"),
      make_section("hub_queue", "Queue put/get ping-pong between two greenlets", 100000 * k, 10000 * k,
                   &fern_queue, b_queue, "queue"),
  };
  std::string md = "# bench/hub\n\nnproc=" + std::to_string(::sysconf(_SC_NPROCESSORS_ONLN)) + ", kernel " +
                   u.release + "; medians of " + std::to_string(rounds) +
                   " alternating rounds; ratios are peer/fern (bigger is better for fern). Target: >= 30x "
                   "gevent on each.\n\n";
  for (Section& s : sections) {
    s.rounds = rounds;
    run_rounds(s);
    print_section(s);
    md += markdown_section(s) + "\n";
  }
  if (!markdown.empty()) std::ofstream(markdown) << md;
  return 0;
}
