// bench_aio_ops: fern::aio tasks against fern greenlets and Python asyncio on the hub's everyday
// operations: a sleep(0) round between two tasks, and spawn + join of an empty task. Alternating
// rounds (BENCH.md); prints tables and RATIO lines; --markdown FILE writes the tables.
//
//   bench_aio_ops [--quick] [--rounds N] [--python PATH] [--markdown FILE]
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "fern/aio/sleep.hpp"
#include "fern/aio/spawn.hpp"
#include "fern/aio/wait.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "rounds.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double per_op(Clock::time_point t0, long ops) {
  return std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / static_cast<double>(ops);
}

fern::aio::Task<void> yield_loop(long n) {
  for (long i = 0; i < n; ++i) co_await fern::aio::sleep(fern::Duration::zero());
}

double task_sleep0(long n) {
  auto t0 = Clock::now();
  auto a = fern::aio::spawn(yield_loop(n));
  auto b = fern::aio::spawn(yield_loop(n));
  a.join();
  b.join();
  return per_op(t0, 2 * n);
}

double greenlet_sleep0(long n) {
  auto loop = [n] {
    for (long i = 0; i < n; ++i) fern::sleep(fern::Duration::zero());
  };
  auto t0 = Clock::now();
  fern::joinall({fern::spawn(loop), fern::spawn(loop)});
  return per_op(t0, 2 * n);
}

fern::aio::Task<void> nothing() { co_return; }

fern::aio::Task<void> spawn_join_loop(long n) {
  for (long i = 0; i < n; ++i) co_await fern::aio::spawn(nothing());
}

double task_spawn_join(long n) {
  auto t0 = Clock::now();
  fern::aio::run(spawn_join_loop(n));
  return per_op(t0, n);
}

double greenlet_spawn_join(long n) {
  auto t0 = Clock::now();
  for (long i = 0; i < n; ++i) fern::spawn([] {})->join();
  return per_op(t0, n);
}

std::string python = "/usr/bin/python3";

double asyncio_op(const std::string& op, long n) {
  std::string cmd =
      python + " " + FERN_BENCH_ASYNCIO_SCRIPT + " " + op + " " + std::to_string(n) + " 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return NAN;
  double v = NAN;
  if (std::fscanf(p, "%lf", &v) != 1) v = NAN;
  ::pclose(p);
  return v;
}

fern::bench::Section make_section(const std::string& name, const std::string& title, long n, long n_peer,
                                  double (*task_fn)(long), double (*greenlet_fn)(long),
                                  const std::string& op) {
  fern::bench::Section s;
  s.name = name;
  s.title = title;
  s.unit = "ns/op";
  s.rows.push_back({"fern_task", "fern::aio task", [=] { return task_fn(n); }, {}, ""});
  s.rows.push_back({"fern_greenlet", "fern greenlet", [=] { return greenlet_fn(n); }, {}, ""});
  s.rows.push_back({"asyncio", "Python asyncio", [=] { return asyncio_op(op, n_peer); }, {}, ""});
  s.comparisons.push_back({name, "fern_task", {"fern_greenlet", "asyncio"}});
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
  std::vector<fern::bench::Section> sections = {
      make_section("aio_sleep0", "sleep(0) round: two tasks yielding", 200000 * k, 20000 * k, &task_sleep0,
                   &greenlet_sleep0, "sleep0"),
      make_section("aio_spawn_join", "spawn + join of an empty task", 100000 * k, 10000 * k, &task_spawn_join,
                   &greenlet_spawn_join, "spawn_join"),
  };
  std::string md;
  for (auto& s : sections) {
    s.rounds = rounds;
    fern::bench::run_rounds(s);
    fern::bench::print_section(s);
    md += fern::bench::markdown_section(s) + "\n";
  }
  if (!markdown.empty()) std::ofstream(markdown) << md;
  return 0;
}
