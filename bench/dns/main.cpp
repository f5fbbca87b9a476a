// bench_dns: name resolution that does not block the hub, two ways. "pool" is fern::net::resolve
// (getaddrinfo on the hub's thread pool); "cares" is c-ares driven by the hub (cares_resolver.hpp);
// "blocking" calls getaddrinfo on the hub's own thread, the cost floor that freezes every other
// greenlet while it runs. Each case runs N lookups (one greenlet after another, or 100 greenlets
// at once; 20 for the DNS case, which the server here answers one at a time in about 200 ms) of
// "localhost", of the machine's host name (from /etc/hosts) and of a name under .invalid that the
// DNS server answers NXDOMAIN. Reported per lookup: wall time and CPU time (utime+stime of the
// whole process, the pool's threads included). Rows alternate within each round.
//
//   bench_dns [--quick] [--rounds N] [--case KEY] [--markdown FILE]
#include <netdb.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "cares_resolver.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/net/resolver.hpp"
#include "rounds.hpp"

namespace {

using namespace fern::bench;
using Lookup = std::function<void(const std::string&)>;

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

void blocking_lookup(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV;
  addrinfo* list = nullptr;
  if (::getaddrinfo(host.c_str(), "80", &hints, &list) == 0) ::freeaddrinfo(list);
}

struct Case {
  std::string key;    // RATIO name
  std::string title;  // table heading
  std::string host;
  int concurrency;
  long lookups;
};

// Runs `lookups` lookups of `host` from `concurrency` greenlets; returns {wall, cpu} µs per lookup.
std::pair<double, double> run_case(const Case& c, const Lookup& lookup) {
  const double cpu0 = cpu_seconds();
  const auto t0 = fern::Clock::now();
  std::vector<fern::GreenletRef<>> workers;
  const long each = c.lookups / c.concurrency;
  for (int w = 0; w < c.concurrency; ++w) {
    workers.push_back(fern::spawn([&] {
      for (long i = 0; i < each; ++i) {
        try {
          lookup(c.host);
        } catch (const std::system_error&) {
          // NXDOMAIN is the expected answer for the .invalid case
        }
      }
    }));
  }
  for (auto& w : workers) w.get();
  const double wall = std::chrono::duration<double, std::micro>(fern::Clock::now() - t0).count();
  const double cpu = (cpu_seconds() - cpu0) * 1e6;
  const double n = static_cast<double>(each * c.concurrency);
  return {wall / n, cpu / n};
}

std::string hostname() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  int rounds = 5;
  std::string markdown;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) quick = true, rounds = 3;
    if (!std::strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = std::atoi(argv[++i]);
    if (!std::strcmp(argv[i], "--markdown") && i + 1 < argc) markdown = argv[++i];
    if (!std::strcmp(argv[i], "--case") && i + 1 < argc) only = argv[++i];
  }
  utsname u{};
  ::uname(&u);
  double load[3] = {};
  ::getloadavg(load, 3);
  std::printf("MACHINE nproc=%ld kernel=%s load=%.2f\n", ::sysconf(_SC_NPROCESSORS_ONLN), u.release, load[0]);

  const long k = quick ? 1 : 4;
  const std::string host = hostname();
  const std::vector<Case> cases = {
      {"dns_localhost_c1", "localhost, one greenlet", "localhost", 1, 500 * k},
      {"dns_hostsfile_c1", "host name from /etc/hosts ('" + host + "'), one greenlet", host, 1, 500 * k},
      {"dns_nxdomain_c1", "nonexistent .invalid name (NXDOMAIN), one greenlet", "fern-bench.invalid", 1, 5},
      {"dns_localhost_c100", "localhost, 100 greenlets at once", "localhost", 100, 2000 * k},
      {"dns_nxdomain_c20", "nonexistent .invalid name (NXDOMAIN), 20 greenlets at once", "fern-bench.invalid",
       20, 20},
  };

  fern::bench::CaresResolver cares;
  const std::map<std::string, std::pair<std::string, Lookup>> impls = {
      {"pool",
       {"getaddrinfo on the thread pool (fern::net::resolve)",
        [](const std::string& h) { fern::net::resolve(h, 80); }}},
      {"cares",
       {"c-ares driven by the hub (lookups \"fb\")", [&](const std::string& h) { cares.resolve(h, 80); }}},
      {"blocking", {"getaddrinfo on the hub thread (blocks the hub)", &blocking_lookup}},
  };
  const std::vector<std::string> order = {"pool", "cares", "blocking"};

  std::string md = "# bench/dns\n\n";
  md += "MACHINE nproc=" + std::to_string(::sysconf(_SC_NPROCESSORS_ONLN)) + " kernel=" + u.release +
        "; load average at start " + std::to_string(load[0]) + "; " + (quick ? "quick" : "full") +
        " mode. Wall and CPU (whole process, pool threads included) per lookup; ratios are peer/pool "
        "(above 1: the pool is cheaper).\n\n";
  for (const Case& c : cases) {
    if (!only.empty() && c.key != only) continue;
    Section wall{c.key + "_wall",
                 c.title + ": wall",
                 "us/lookup",
                 {},
                 {{c.key + "_wall", "pool", {"cares", "blocking"}}}};
    Section cpu{c.key + "_cpu",
                c.title + ": CPU",
                "us CPU/lookup",
                {},
                {{c.key + "_cpu", "pool", {"cares", "blocking"}}}};
    wall.rounds = cpu.rounds = rounds;
    wall.warmup = false;
    std::map<std::string, std::vector<double>> cpu_samples;
    for (const std::string& key : order) {
      const auto& [label, lookup] = impls.at(key);
      run_case(c, lookup);  // warm-up: threads started, files cached
      wall.rows.push_back({key, label, [&, key, lookup = lookup] {
                             auto [w, p] = run_case(c, lookup);
                             cpu_samples[key].push_back(p);
                             return w;
                           }});
    }
    run_rounds(wall);
    for (const Row& r : wall.rows) cpu.rows.push_back({r.key, r.label, nullptr, cpu_samples[r.key], ""});
    print_section(wall);
    print_section(cpu);
    md += markdown_section(wall) + "\n" + markdown_section(cpu) + "\n";
  }
  getloadavg(load, 3);
  md += "Load average at the end: " + std::to_string(load[0]) + "\n";
  if (!markdown.empty()) std::ofstream(markdown) << md;
  return 0;
}
