// Shared by the client proofs: run N greenlets in this thread and time them, and print the
// measured numbers (they are reported, never asserted, except by bounds too generous to flake).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <fern/hook/monkey.hpp>
#include <fern/hub/spawn.hpp>

namespace fern_test {

// Runs body(i) for i in [0, n) as n greenlets of this thread; returns the wall time until all end.
inline std::chrono::milliseconds run_greenlets(int n, const std::function<void(int)>& body) {
  auto start = std::chrono::steady_clock::now();
  std::vector<fern::GreenletRef<>> all;
  for (int i = 0; i < n; ++i) all.push_back(fern::spawn([&body, i] { body(i); }));
  fern::joinall(all, fern::kForever, true);
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

inline void report_timing(const std::string& what, int n, std::chrono::milliseconds one,
                          std::chrono::milliseconds all) {
  std::printf(
      "HOOK_PROOF %s: 1 client %lld ms, %d clients in one thread %lld ms (serial would be ~%lld ms)\n",
      what.c_str(), static_cast<long long>(one.count()), n, static_cast<long long>(all.count()),
      static_cast<long long>(one.count()) * n);
  ::testing::Test::RecordProperty(what + "_one_ms", static_cast<int>(one.count()));
  ::testing::Test::RecordProperty(what + "_n", n);
  ::testing::Test::RecordProperty(what + "_all_ms", static_cast<int>(all.count()));
}

}  // namespace fern_test
