// python-greenlet's test_generator.py: a generator made of greenlets (genlet.hpp).
#include <gtest/gtest.h>

#include <vector>

#include "genlet.hpp"

namespace fern::ported {
namespace {

TEST(GeneratorTests, test_generator) {
  std::vector<int> seen;
  auto g = [&](int n) {
    return Genlet([&seen, n] {
      for (int i = 0; i < n; ++i) {
        seen.push_back(i);
        yield_value(i);
      }
    });
  };
  for (int round = 0; round < 3; ++round) {
    Genlet gen = g(5);
    while (auto j = gen.next<int>()) seen.push_back(*j);
  }
  std::vector<int> once = {0, 0, 1, 1, 2, 2, 3, 3, 4, 4}, expected;
  for (int i = 0; i < 3; ++i) expected.insert(expected.end(), once.begin(), once.end());
  EXPECT_EQ(seen, expected);
}

}  // namespace
}  // namespace fern::ported
