// L2: gevent's automatic switch. foo, bar and func each print, sleep and print again; a sleeping
// greenlet parks in the hub, which runs the others, so the second prints come in wake-up order
// (func, bar, foo) and the whole run takes about the longest sleep, not the sum.
//
//   gevent_sleep [--scale F]   sleeps are the seed's 5 s, 2 s and 0.5 s times F (default 1)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"

namespace {

using Seconds = std::chrono::duration<double>;

double since(fern::TimePoint t0) { return Seconds(fern::Clock::now() - t0).count(); }

}  // namespace

int main(int argc, char** argv) {
  double scale = 1.0;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--scale") == 0) scale = std::atof(argv[i + 1]);
  }
  const fern::TimePoint t0 = fern::Clock::now();
  auto task = [&](const char* name, double seconds) {
    std::printf("[%6.3f s] %s: running, will sleep %.2f s\n", since(t0), name, seconds);
    fern::sleep(std::chrono::duration_cast<fern::Duration>(Seconds(seconds)));
    std::printf("[%6.3f s] %s: woke up\n", since(t0), name);
  };
  fern::joinall({fern::spawn(task, "foo", 5.0 * scale), fern::spawn(task, "bar", 2.0 * scale),
                 fern::spawn(task, "func", 0.5 * scale)});
  double total = since(t0);
  double sum = 7.5 * scale;
  std::printf(
      "L2 done: three greenlets slept %.2f s in all and finished in %.3f s (the longest sleep is %.2f s)\n",
      sum, total, 5.0 * scale);
  return 0;
}
