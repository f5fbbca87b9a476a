// The fern side of bench/redis: GET or SET of a d-byte value, the same key redis-benchmark uses
// ("key:__rand_int__" without -r), by C caller greenlets, each sending batches of P commands
// (P = 1: plain calls; P > 1: an explicit Pipeline), for N commands in all. --connections chooses
// the pool: C connections mirrors redis-benchmark -c C (one caller per connection); 1 connection
// shares it among all callers (automatic pipelining). Prints one line a script reads:
//
//   requests=N seconds=S cpu_seconds=U sends=K recvs=R
//
// CPU time is this process's user+system time (getrusage) over the measured window.
//
// --from task runs each caller as an aio task that makes every call through aio::in_greenlet (the
// bridge a task uses for any greenlet-style client); --from greenlet (the default) calls directly.
// bench/aio/bridge.sh compares the two.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "fern/aio/in_greenlet.hpp"
#include "fern/aio/spawn.hpp"
#include "fern/clients/redis/client.hpp"
#include "fern/hub/spawn.hpp"

namespace {

namespace redis = fern::redis;

struct Settings {
  int port = 6379;
  std::string test = "get";
  int callers = 1;
  int connections = 1;
  int pipeline = 1;
  int size = 3;
  long requests = 100000;
  bool from_task = false;
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
    const char* k = argv[i];
    const char* v = argv[i + 1];
    if (!std::strcmp(k, "--port"))
      s.port = std::atoi(v);
    else if (!std::strcmp(k, "--test"))
      s.test = v;
    else if (!std::strcmp(k, "--callers"))
      s.callers = std::max(1, std::atoi(v));
    else if (!std::strcmp(k, "--connections"))
      s.connections = std::max(1, std::atoi(v));
    else if (!std::strcmp(k, "--pipeline"))
      s.pipeline = std::max(1, std::atoi(v));
    else if (!std::strcmp(k, "--size"))
      s.size = std::max(1, std::atoi(v));
    else if (!std::strcmp(k, "--requests"))
      s.requests = std::max(1L, std::atol(v));
    else if (!std::strcmp(k, "--from"))
      s.from_task = !std::strcmp(v, "task");
    else {
      std::fprintf(stderr, "bench_redis_client: unknown option %s\n", k);
      std::exit(2);
    }
  }
  return s;
}

// One caller: `batches` batches of `pipeline` commands.
void run_caller(redis::Client& client, const Settings& s, const std::string& value, long batches) {
  const std::string_view key = "key:__rand_int__";
  const bool set = s.test == "set";
  if (s.pipeline == 1) {
    for (long b = 0; b < batches; ++b) {
      if (set) {
        client.set(key, value);
      } else {
        client.get(key);
      }
    }
    return;
  }
  redis::Pipeline pipe = client.pipeline();
  std::vector<redis::Reply> replies;
  for (long b = 0; b < batches; ++b) {
    for (int i = 0; i < s.pipeline; ++i) {
      if (set) {
        pipe.command("SET", key, value);
      } else {
        pipe.command("GET", key);
      }
    }
    pipe.execute_into(replies);
    replies.clear();  // done with them, as an application would be, before the next batch
  }
}

// The same caller as a task: each batch goes through the greenlet bridge.
fern::aio::Task<void> run_task_caller(redis::Client& client, const Settings& s, const std::string& value,
                                      long batches) {
  const std::string_view key = "key:__rand_int__";
  const bool set = s.test == "set";
  for (long b = 0; b < batches; ++b) {
    co_await fern::aio::in_greenlet([&] {
      if (set) {
        client.set(key, value);
      } else {
        client.get(key);
      }
    });
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Settings s = parse(argc, argv);
  redis::Options options;
  options.port = static_cast<std::uint16_t>(s.port);
  options.pool_size = static_cast<std::size_t>(s.connections);
  redis::Client client(options);
  const std::string value(static_cast<std::size_t>(s.size), 'x');
  try {
    // Connect every pooled connection and store the key before measuring.
    std::vector<fern::GreenletRef<>> warm;
    for (int c = 0; c < s.connections; ++c)
      warm.push_back(fern::spawn([&] { client.set("key:__rand_int__", value); }));
    fern::joinall(warm, fern::kForever, true);

    const long per_caller_batches = std::max(1L, s.requests / s.callers / s.pipeline);
    const long total = per_caller_batches * s.callers * s.pipeline;
    const redis::ConnectionStats before = client.stats();
    const double cpu0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    if (s.from_task) {
      std::vector<fern::aio::TaskHandle<>> tasks;
      for (int c = 0; c < s.callers; ++c)
        tasks.push_back(fern::aio::spawn(run_task_caller(client, s, value, per_caller_batches)));
      for (auto& t : tasks) t.get();
    } else {
      std::vector<fern::GreenletRef<>> callers;
      for (int c = 0; c < s.callers; ++c) {
        callers.push_back(fern::spawn([&] { run_caller(client, s, value, per_caller_batches); }));
      }
      fern::joinall(callers, fern::kForever, true);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = cpu_seconds() - cpu0;
    const redis::ConnectionStats after = client.stats();
    std::printf("requests=%ld seconds=%.6f cpu_seconds=%.6f sends=%llu recvs=%llu\n", total, seconds, cpu,
                static_cast<unsigned long long>(after.sends - before.sends),
                static_cast<unsigned long long>(after.recvs - before.recvs));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_redis_client: %s\n", e.what());
    return 1;
  }
  return 0;
}
