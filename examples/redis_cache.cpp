// L16: Redis as a cache (seed 000). Cache-aside in front of a slow lookup: read the cache; on a miss
// ask the "database" (a simulated 50 ms query) and store the answer with a TTL. The first pass over
// the keys misses and pays the lookups; later passes hit and cost one Redis round trip. Many
// greenlets share one fern::redis::Client, whose connection pipelines their calls automatically.
//
//   redis_cache --demo             starts its own redis-server on a free port, stops it at the end
//   redis_cache --port P [--host H]   uses a running server (keys under "l16:")
//   options: --lookup-ms N (50), --users N (10), --greenlets N (20), --requests N (10 per greenlet)
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "fern/clients/redis/client.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/net/socket.hpp"

extern char** environ;

namespace {

using Millis = std::chrono::duration<double, std::milli>;
namespace redis = fern::redis;

struct Settings {
  bool demo = false;
  std::string host = "127.0.0.1";
  int port = 6379;
  int lookup_ms = 50;
  int users = 10;
  int greenlets = 20;
  int requests = 10;
};

// A redis-server child for --demo, stopped (SIGTERM, reaped) when this goes away.
class DemoServer {
 public:
  explicit DemoServer(int port) {
    const std::string p = std::to_string(port);
    const char* argv[] = {"redis-server", "--port", p.c_str(),   "--bind",    "127.0.0.1", "--save", "",
                          "--appendonly", "no",     "--logfile", "/dev/null", nullptr};
    if (posix_spawn(&pid_, "/usr/bin/redis-server", nullptr, nullptr, const_cast<char**>(argv), environ) !=
        0) {
      std::perror("redis_cache: cannot start /usr/bin/redis-server");
      std::exit(1);
    }
  }
  ~DemoServer() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }

 private:
  pid_t pid_ = -1;
};

int free_port() {
  fern::net::Socket s = fern::net::listen_tcp(fern::net::Address::ipv4_loopback(0));
  return s.local_address().port();
}

// The slow source of truth the cache protects.
class SlowDatabase {
 public:
  explicit SlowDatabase(std::chrono::milliseconds latency) : latency_(latency) {}
  std::string load_user(int id) {
    fern::sleep(latency_);  // a query that takes its time; other greenlets run meanwhile
    ++queries_;
    return "{\"id\": " + std::to_string(id) + ", \"name\": \"user-" + std::to_string(id) + "\"}";
  }
  int queries() const { return queries_; }
  std::chrono::milliseconds latency() const { return latency_; }

 private:
  std::chrono::milliseconds latency_;
  int queries_ = 0;
};

struct CacheStats {
  int hits = 0;
  int misses = 0;
};

// Cache-aside: the cache first, the database on a miss, then fill the cache for the next reader.
std::string cached_user(redis::Client& cache, SlowDatabase& db, int id, CacheStats& stats) {
  const std::string key = "l16:user:" + std::to_string(id);
  if (std::optional<std::string> hit = cache.get(key)) {
    ++stats.hits;
    return *hit;
  }
  ++stats.misses;
  std::string value = db.load_user(id);
  cache.set(key, value, {.ttl = std::chrono::minutes(1)});
  return value;
}

// One pass: `greenlets` greenlets, each asking for `requests` users in turn.
void run_pass(const char* title, redis::Client& cache, SlowDatabase& db, const Settings& settings,
              int greenlets, int requests_each) {
  Settings s = settings;
  s.greenlets = greenlets;
  s.requests = requests_each;
  CacheStats stats;
  const int queries_before = db.queries();
  const auto t0 = fern::Clock::now();
  std::vector<fern::GreenletRef<>> workers;
  for (int g = 0; g < s.greenlets; ++g) {
    workers.push_back(fern::spawn([&, g] {
      for (int r = 0; r < s.requests; ++r) cached_user(cache, db, (g + r) % s.users, stats);
    }));
  }
  fern::joinall(workers);
  const double wall = Millis(fern::Clock::now() - t0).count();
  const int requests = stats.hits + stats.misses;
  const int queries = db.queries() - queries_before;
  const double uncached = static_cast<double>(requests) * static_cast<double>(db.latency().count());
  const double spent = static_cast<double>(queries) * static_cast<double>(db.latency().count());
  std::printf("%s\n  %d requests: %d hits, %d misses, %d database queries; %.1f ms wall\n", title, requests,
              stats.hits, stats.misses, queries, wall);
  std::printf("  database time %.0f ms; without the cache it would be %.0f ms: %.0f ms saved\n", spent,
              uncached, uncached - spent);
}

Settings parse(int argc, char** argv) {
  Settings s;
  for (int i = 1; i < argc; ++i) {
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "redis_cache: %s needs a value\n", name);
        std::exit(2);
      }
      return argv[++i];
    };
    if (std::strcmp(argv[i], "--demo") == 0) {
      s.demo = true;
    } else if (std::strcmp(argv[i], "--port") == 0) {
      s.port = std::atoi(value("--port"));
    } else if (std::strcmp(argv[i], "--host") == 0) {
      s.host = value("--host");
    } else if (std::strcmp(argv[i], "--lookup-ms") == 0) {
      s.lookup_ms = std::atoi(value("--lookup-ms"));
    } else if (std::strcmp(argv[i], "--users") == 0) {
      s.users = std::max(1, std::atoi(value("--users")));
    } else if (std::strcmp(argv[i], "--greenlets") == 0) {
      s.greenlets = std::max(1, std::atoi(value("--greenlets")));
    } else if (std::strcmp(argv[i], "--requests") == 0) {
      s.requests = std::max(1, std::atoi(value("--requests")));
    } else {
      std::fprintf(stderr,
                   "usage: redis_cache --demo | --port P [--host H] [--lookup-ms N] [--users N] "
                   "[--greenlets N] [--requests N]\n");
      std::exit(2);
    }
  }
  return s;
}

// Waits for a freshly started server to answer PING.
void wait_until_up(redis::Client& cache) {
  for (int attempt = 0;; ++attempt) {
    try {
      cache.ping();
      return;
    } catch (const std::system_error&) {
      if (attempt == 500) throw;
      fern::sleep(std::chrono::milliseconds(10));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Settings s = parse(argc, argv);
  std::optional<DemoServer> server;
  if (s.demo) {
    s.port = free_port();
    server.emplace(s.port);
  }
  redis::Options options;
  options.host = s.host;
  options.port = static_cast<std::uint16_t>(s.port);
  options.reconnect_backoff = std::chrono::milliseconds(5);
  options.reconnect_backoff_max = std::chrono::milliseconds(20);
  redis::Client cache(options);
  try {
    wait_until_up(cache);
    for (const std::string& key : cache.scan_all("l16:*")) cache.del(key);  // a cold start
    SlowDatabase db(std::chrono::milliseconds(s.lookup_ms));
    std::printf(
        "L16 cache-aside: redis %s%s, a database lookup takes %d ms, %d users, %d greenlets x %d requests\n",
        options.endpoint().c_str(), s.demo ? " (started for this demo)" : "", s.lookup_ms, s.users,
        s.greenlets, s.requests);
    run_pass("pass 1, one greenlet, cold cache: every user is a miss", cache, db, s, 1, s.users);
    run_pass("pass 2, one greenlet, warm cache: every user is a hit", cache, db, s, 1, s.users);
    run_pass(
        ("pass 3, " + std::to_string(s.greenlets) + " greenlets sharing one connection, warm cache").c_str(),
        cache, db, s, s.greenlets, s.requests);
    const int total = 2 * s.users + s.greenlets * s.requests;
    std::printf("L16 done: %d database queries for %d requests; the cache answered the other %d\n",
                db.queries(), total, total - db.queries());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "redis_cache: %s\n", e.what());
    return 1;
  }
  return 0;
}
