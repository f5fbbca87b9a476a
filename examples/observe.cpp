// Watching a running fern program: the greenlet dump (on a signal and over HTTP), the hub monitor
// catching a greenlet that blocks its hub, and the hub's metrics.
//
//   observe            runs the tour step: a few greenlets, a dump, one greenlet blocking on purpose
//   observe --serve    also keeps the debug endpoint up until Ctrl-C (curl localhost:PORT/metrics)
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "fern/http/client.hpp"
#include "fern/http/debug_server.hpp"
#include "fern/hub/monitor.hpp"
#include "fern/hub/run_info.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/stats.hpp"
#include "fern/sync/event.hpp"
#include "fern/sync/queue.hpp"

using namespace std::chrono_literals;

namespace {

// Work that never gives the hub a turn: a stand-in for a CPU-heavy loop or a blocking call.
[[gnu::noinline]] void crunch_without_yielding(fern::Duration d) {
  auto end = fern::Clock::now() + d;
  while (fern::Clock::now() < end) {
    asm volatile("" ::: "memory");
  }
}

void section(const char* title) { std::printf("\n--- %s\n", title); }

}  // namespace

int main(int argc, char** argv) {
  const bool serve = argc > 1 && std::strcmp(argv[1], "--serve") == 0;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  fern::start_monitor({.max_blocking_time = 50ms});
  fern::install_dump_signal(SIGQUIT);

  // A small service: a queue worker, its producer, and a greenlet waiting for a shutdown event.
  fern::Queue<std::string> jobs;
  fern::Event shutdown;
  auto worker = fern::spawn_with({.name = "worker"}, [&] {
    for (;;) std::printf("worker: done %s\n", jobs.get().c_str());
  });
  auto producer = fern::spawn_with({.name = "producer"}, [&] {
    for (int i = 1; i <= 3; ++i) {
      jobs.put("job-" + std::to_string(i));
      fern::sleep(10ms);
    }
    fern::sleep(1h);  // idles with a deadline
  });
  auto janitor = fern::spawn_with({.name = "janitor"}, [&] { shutdown.wait(); });
  auto debug = fern::serve_debug(fern::net::Address::ipv4_loopback(0));
  fern::sleep(50ms);

  section("the greenlet dump, as SIGQUIT prints it (what each waits on, since when, spawned where)");
  std::raise(SIGQUIT);
  fern::sleep(1ms);  // the hub prints it on its next turn

  section("the same over HTTP: GET /debug/greenlets");
  fern::http::Client client;
  std::string base = "http://127.0.0.1:" + std::to_string(debug->port());
  std::string tree = client.get(base + "/debug/greenlets").body;
  std::fputs(tree.c_str(), stdout);

  section("a greenlet that blocks its hub for 200 ms: the monitor names it, its spawn site and stack");
  std::atomic<int> blocks{0};
  fern::set_block_reporter([&](const fern::BlockReport& r) {
    ++blocks;
    std::string text = fern::format_block_report(r);
    // The innermost frames are the capture itself; the stack proper is what a reader wants.
    std::fputs(text.substr(0, std::min(text.size(), std::size_t{1200})).c_str(), stdout);
  });
  fern::spawn_with({.name = "cruncher"}, [] { crunch_without_yielding(200ms); }).get();
  fern::set_block_reporter({});

  section("a few of the hub's metrics: GET /metrics (Prometheus text)");
  std::string metrics = client.get(base + "/metrics").body;
  for (const char* name : {"fern_hub_greenlets_live ", "fern_hub_switches_total ", "fern_hub_parked{"}) {
    for (std::size_t at = metrics.find(name); at != std::string::npos; at = metrics.find(name, at + 1)) {
      if (at == 0 || metrics[at - 1] == '\n')
        std::printf("%s\n", metrics.substr(at, metrics.find('\n', at) - at).c_str());
    }
  }

  if (serve) {
    std::printf("\ndebug endpoint on %s (/debug/greenlets, /metrics); Ctrl-C to stop\n", base.c_str());
    debug->serve_forever();
  }
  shutdown.set();
  fern::killall({worker, producer, janitor});
  debug->stop();
  const bool dumped =
      tree.find("worker (#") != std::string::npos && tree.find("on Queue.get") != std::string::npos;
  if (!dumped || blocks.load() != 1) {
    std::printf("observe: expected the worker in the dump and one block report (got %d)\n", blocks.load());
    return 1;
  }
  return 0;
}
