// bench_http_client: C greenlets fetch one URL N times in total through one fern::http::Client
// (keep-alive connections, one per greenlet at most), on one thread. Prints one line a script reads:
//   requests=N seconds=S cpu_seconds=C connections=K errors=E bytes=B
// cpu_seconds is this process's user+system time (getrusage) over the measured run.
//
//   bench_http_client --url http://127.0.0.1:8080/hello --concurrency 50 --requests 100000
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "fern/base/clock.hpp"
#include "fern/http/client.hpp"
#include "fern/hub/spawn.hpp"

namespace {

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

[[noreturn]] void usage(const char* program) {
  std::fprintf(stderr, "usage: %s --url URL [--concurrency C] [--requests N]\n", program);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::string url;
  long concurrency = 1, requests = 10000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--url") == 0) {
      url = argv[i + 1];
    } else if (std::strcmp(argv[i], "--concurrency") == 0) {
      concurrency = std::strtol(argv[i + 1], nullptr, 10);
    } else if (std::strcmp(argv[i], "--requests") == 0) {
      requests = std::strtol(argv[i + 1], nullptr, 10);
    } else {
      usage(argv[0]);
    }
  }
  if (url.empty() || concurrency < 1 || requests < 1) usage(argv[0]);

  fern::http::ClientOptions options;
  options.max_idle_per_host = static_cast<std::size_t>(concurrency);
  fern::http::Client client(options);
  long started = 0, errors = 0;
  unsigned long long bytes = 0;
  client.get(url);  // resolve and connect once outside the measurement

  const double cpu_before = cpu_seconds();
  const auto t0 = fern::Clock::now();
  std::vector<fern::GreenletRef<>> workers;
  for (long g = 0; g < concurrency; ++g) {
    workers.push_back(fern::spawn([&] {
      while (started < requests) {
        ++started;
        try {
          bytes += client.get(url).body.size();
        } catch (const std::exception& e) {
          if (errors++ == 0) std::fprintf(stderr, "bench_http_client: %s\n", e.what());
        }
      }
    }));
  }
  fern::joinall(workers);
  const double seconds = std::chrono::duration<double>(fern::Clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu_before;
  std::printf("requests=%ld seconds=%.6f cpu_seconds=%.6f connections=%llu errors=%ld bytes=%llu\n", requests,
              seconds, cpu, static_cast<unsigned long long>(client.connections_opened()), errors, bytes);
  return errors == 0 ? 0 : 1;
}
