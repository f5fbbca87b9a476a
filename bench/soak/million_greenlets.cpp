// million_greenlets: one million greenlets spawned, parked and finished, in waves, with the
// process's resident memory printed at every stage, for bench/soak/run.sh.
//
//   bench_soak_million [--greenlets N] [--waves W] [--batch B] [--guarded-limit M]
//
// Each wave spawns N greenlets with dense stacks (StackMode::dense: 32 KiB slots carved from
// shared regions, so a million fit under vm.max_map_count), B at a time; every one parks on one
// fern::Event, so at the wave's peak all of them are alive and parked at once. Then the event is
// set and all of them finish. RSS is read from /proc/self/status at the baseline, with all of them
// parked, once they are gone, and after a second of idle.
//
// Then, with the default guarded stacks (a mapping and a guard page each), greenlets are spawned
// and parked until the kernel refuses a mapping or M are alive: the real limit of that mode.
//
// Prints `key=value` lines: STAGE lines per wave, a LIMIT line, and SAMPLE lines (t, rss_kib)
// every ~0.1 s during the waves for the script's plot.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

#include "fern/base/clock.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/sync/event.hpp"

namespace {

struct Options {
  long greenlets = 1'000'000;
  int waves = 3;
  long batch = 10'000;
  long guarded_limit = 100'000;
};

long status_kib(std::string_view key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) == 0 && line.size() > key.size() && line[key.size()] == ':') {
      return std::strtol(line.c_str() + key.size() + 1, nullptr, 10);
    }
  }
  return -1;
}

long map_count() {
  std::ifstream in("/proc/self/maps");
  std::string line;
  long n = 0;
  while (std::getline(in, line)) ++n;
  return n;
}

double seconds_since(fern::TimePoint start) {
  return std::chrono::duration<double>(fern::Clock::now() - start).count();
}

fern::TimePoint g_start;
double g_last_sample = -1;

// A SAMPLE line at most every 0.1 s: the plot of RSS over the waves.
void sample() {
  double t = seconds_since(g_start);
  if (t - g_last_sample < 0.1) return;
  g_last_sample = t;
  std::printf("SAMPLE t=%.3f rss_kib=%ld\n", t, status_kib("VmRSS"));
}

void stage(int wave, const char* name, long alive, double seconds) {
  std::printf("STAGE wave=%d stage=%s alive=%ld rss_kib=%ld maps=%ld seconds=%.3f\n", wave, name, alive,
              status_kib("VmRSS"), map_count(), seconds);
  std::fflush(stdout);
}

// One wave: N parked at once, then all released and finished.
void wave(int number, const Options& o) {
  fern::Event release;
  long parked = 0, finished = 0;
  fern::SpawnOptions dense;
  dense.greenlet.mode = fern::StackMode::dense;
  auto t0 = fern::Clock::now();
  for (long spawned = 0; spawned < o.greenlets;) {
    for (long i = 0; i < o.batch && spawned < o.greenlets; ++i, ++spawned) {
      fern::spawn_with(dense, [&] {
        ++parked;
        release.wait();
        ++finished;
      });
    }
    fern::yield();  // the batch starts and parks on the event
    sample();
  }
  while (parked < o.greenlets) fern::yield();
  stage(number, "parked", parked, seconds_since(t0));
  auto t1 = fern::Clock::now();
  release.set();
  while (finished < o.greenlets) {
    fern::yield();
    sample();
  }
  fern::yield();  // the last ones' stacks go back to the pool
  stage(number, "finished", 0, seconds_since(t1));
  // Idle for a second: the hub gives a spike's memory back once the count has stayed low for a
  // moment (Hub::release_after_spike), as a server's would between waves.
  for (int i = 0; i < 10; ++i) {
    fern::sleep(std::chrono::milliseconds(100));
    sample();
  }
  stage(number, "idle", 0, 1.0);
}

// Guarded stacks until the kernel says no (vm.max_map_count) or `limit` are alive. A guarded
// stack is mapped when its greenlet first runs, so a refusal shows up as greenlets that never
// started (the hub reports each one on stderr); spawning stops at the first such batch.
void guarded_limit(long limit) {
  fern::Event release;
  long spawned = 0, started = 0;
  while (spawned < limit && started == spawned) {
    for (int i = 0; i < 250 && spawned < limit; ++i, ++spawned) {
      fern::spawn([&] {
        ++started;
        release.wait();
      });
    }
    fern::yield();
  }
  std::ifstream in("/proc/sys/vm/max_map_count");
  std::string max_maps = "?";
  in >> max_maps;
  std::printf("LIMIT mode=guarded alive=%ld refused=%ld maps=%ld max_map_count=%s rss_kib=%ld\n", started,
              spawned - started, map_count(), max_maps.c_str(), status_kib("VmRSS"));
  release.set();
  for (int i = 0; i < 3; ++i) fern::sleep(std::chrono::milliseconds(50));
  stage(0, "guarded_finished", 0, 0);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view flag = argv[i];
    long v = std::strtol(argv[i + 1], nullptr, 10);
    if (flag == "--greenlets")
      o.greenlets = v;
    else if (flag == "--waves")
      o.waves = static_cast<int>(v);
    else if (flag == "--batch")
      o.batch = v > 0 ? v : 1;
    else if (flag == "--guarded-limit")
      o.guarded_limit = v;
    else {
      std::fprintf(stderr, "usage: %s [--greenlets N] [--waves W] [--batch B] [--guarded-limit M]\n",
                   argv[0]);
      std::exit(2);
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  fern::Hub::install(fern::default_driver_kind());
  g_start = fern::Clock::now();
  fern::yield();
  stage(0, "baseline", 0, 0);
  for (int w = 1; w <= o.waves; ++w) wave(w, o);
  if (o.guarded_limit > 0) guarded_limit(o.guarded_limit);
  return 0;
}
