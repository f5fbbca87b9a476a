// The tour: every seed lesson as a live C++ program, one after another, each with its id, what it
// shows and how long it took.
//
//   tour [L1 L5 ...]   run only the named lessons
#include <chrono>
#include <cstdio>
#include <exception>
#include <set>
#include <string>

#include "lessons.hpp"

int main(int argc, char** argv) {
  std::set<std::string> only(argv + 1, argv + argc);
  int failed = 0, ran = 0;
  for (const tour::Lesson& lesson : tour::lessons()) {
    if (!only.empty() && !only.count(lesson.id)) continue;
    std::printf("\n=== %s  %s\n    shows: %s\n", lesson.id.c_str(), lesson.title.c_str(),
                lesson.shows.c_str());
    std::fflush(stdout);
    auto t0 = std::chrono::steady_clock::now();
    int rc;
    try {
      rc = lesson.run();
    } catch (const std::exception& e) {
      std::printf("    error: %s\n", e.what());
      rc = 1;
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++ran;
    if (rc != 0) ++failed;
    std::printf("--- %s %s in %.3f s\n", lesson.id.c_str(), rc == 0 ? "ok" : "FAILED", secs);
    std::fflush(stdout);
  }
  std::printf("\ntour: %d lessons, %d failed\n", ran, failed);
  return failed == 0 ? 0 : 1;
}
