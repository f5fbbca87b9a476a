// The fern side of bench/mysql: sysbench's oltp_point_select query (`SELECT c FROM sbtest1 WHERE
// id=?`, a server-side prepared statement, a uniformly random id in 1..table-size) from C caller
// greenlets in one thread, each with its own connection, for a fixed time. Connections are made
// and the statement prepared before the measured window. Prints one line the driver reads:
//
//   queries=N seconds=S cpu_seconds=U
//
// CPU time is this process's user+system time (getrusage) over the measured window.
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "fern/clients/mysql/connection.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/sync/event.hpp"

namespace {

namespace mysql = fern::mysql;

struct Settings {
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string user = "root";
  std::string db = "sbtest";
  int callers = 1;
  double seconds = 2;
  std::uint64_t table_size = 10000;
};

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return s(u.ru_utime) + s(u.ru_stime);
}

Settings parse(int argc, char** argv) {
  Settings s;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--host")
      s.host = v;
    else if (k == "--port")
      s.port = std::atoi(v);
    else if (k == "--user")
      s.user = v;
    else if (k == "--db")
      s.db = v;
    else if (k == "--callers")
      s.callers = std::max(1, std::atoi(v));
    else if (k == "--seconds")
      s.seconds = std::atof(v);
    else if (k == "--table-size")
      s.table_size = std::strtoull(v, nullptr, 10);
    else {
      std::fprintf(stderr, "bench_mysql_point_select: unknown option %s\n", k.c_str());
      std::exit(2);
    }
  }
  return s;
}

// xorshift64*: a fast, good-enough uniform source for ids, one per caller.
struct Random {
  std::uint64_t state;
  std::uint64_t next() {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 2685821657736338717ull;
  }
};

}  // namespace

int main(int argc, char** argv) {
  const Settings s = parse(argc, argv);
  mysql::Options o;
  o.host = s.host;
  o.port = static_cast<std::uint16_t>(s.port);
  o.user = s.user;
  o.database = s.db;
  const char* sql = "SELECT c FROM sbtest1 WHERE id=?";

  std::vector<std::unique_ptr<mysql::Connection>> conns;
  for (int i = 0; i < s.callers; ++i) {
    conns.push_back(std::make_unique<mysql::Connection>(o));
    conns.back()->execute(sql, 1);  // connect and prepare outside the window
  }
  fern::Event go;
  bool stop = false;
  std::uint64_t queries = 0, misses = 0;
  std::vector<fern::GreenletRef<>> callers;
  for (int i = 0; i < s.callers; ++i)
    callers.push_back(fern::spawn([&, i] {
      Random rng{0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(i + 1)};
      mysql::Connection& c = *conns[static_cast<std::size_t>(i)];
      go.wait();
      while (!stop) {
        const std::uint64_t id = rng.next() % s.table_size + 1;
        mysql::Result r = c.execute(sql, id);
        misses += r.size() != 1;
        ++queries;
      }
    }));
  auto timer = fern::spawn([&] {
    go.wait();
    fern::sleep(std::chrono::duration_cast<fern::Duration>(std::chrono::duration<double>(s.seconds)));
    stop = true;
  });
  fern::sleep(std::chrono::milliseconds(1));  // every caller parked on `go`
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  go.set();
  fern::joinall(callers);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  timer->join();
  if (misses)
    std::fprintf(stderr, "bench_mysql_point_select: %llu ids not found\n", (unsigned long long)misses);
  std::printf("queries=%llu seconds=%.6f cpu_seconds=%.6f\n", (unsigned long long)queries, seconds, cpu);
  return misses ? 1 : 0;
}
