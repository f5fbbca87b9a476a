// aio_sleep: lesson L12, asyncio's first program, with fern::aio tasks. Two coroutines print
// "<name> start", await a one-second sleep and print "end"; run() drives wait([both]) to the end.
// They sleep at the same time on one thread, so the whole program takes about one second, not two.
//
//   aio_sleep [seconds]   (default 1)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fern/aio/sleep.hpp"
#include "fern/aio/spawn.hpp"
#include "fern/aio/wait.hpp"

namespace {

fern::aio::Task<void> func(std::string name, fern::Duration d) {
  std::printf("%s start\n", name.c_str());
  co_await fern::aio::sleep(d);  // suspends this task only; the hub runs the other one
  std::printf("end\n");
}

fern::aio::Task<void> both(fern::Duration d) {
  co_await fern::aio::wait(fern::aio::spawn(func("Zhang Gen", d)), fern::aio::spawn(func("Xiao Mi", d)));
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
  const auto d = std::chrono::duration_cast<fern::Duration>(std::chrono::duration<double>(seconds));
  const auto t0 = std::chrono::steady_clock::now();
  fern::aio::run(func("one task", d));
  const auto t1 = std::chrono::steady_clock::now();
  fern::aio::run(both(d));
  const auto t2 = std::chrono::steady_clock::now();
  auto secs = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  std::printf("one task: %.2f s; two tasks together: %.2f s (not %.2f: they slept at the same time)\n",
              secs(t0, t1), secs(t1, t2), 2 * seconds);
  return 0;
}
