// python-greenlet's test_generator_nested.py: genlets (genlet.hpp) that yield through nested calls,
// through other genlets, and two levels up at once.
#include <gtest/gtest.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "genlet.hpp"

namespace fern::ported {
namespace {

using List = std::vector<int>;

void nested(int i) { yield_value(i); }

// g2: yields straight from the genlet; g3: from a function it calls.
Genlet g2(int n, List& seen) {
  return Genlet([n, &seen] {
    for (int i = 0; i < n; ++i) {
      seen.push_back(i + 1);
      yield_value(i);
    }
  });
}
Genlet g3(int n, List& seen) {
  return Genlet([n, &seen] {
    for (int i = 0; i < n; ++i) {
      seen.push_back(i + 1);
      nested(i);
    }
  });
}

// ax(n): yields what ax(n-1) yields, then n.
Genlet ax(int n);
void a(int n) {
  if (n == 0) return;
  Genlet inner = ax(n - 1);
  while (auto ii = inner.next<int>()) yield_value(*ii);
  yield_value(n);
}
Genlet ax(int n) {
  return Genlet([n] { a(n); });
}

// perms(l): every permutation of l, yielded from nested genlets.
Genlet perms(List l) {
  return Genlet([l = std::move(l)] {
    if (l.size() <= 1) {
      yield_value(l);
      return;
    }
    for (int e : l) {
      List rest;
      std::copy_if(l.begin(), l.end(), std::back_inserter(rest), [e](int x) { return x != e; });
      Genlet sub = perms(rest);
      int yielded = 0;
      while (auto p = sub.next<List>()) {
        List out = {e};
        out.insert(out.end(), p->begin(), p->end());
        yield_value(out);
        ++yielded;
      }
      EXPECT_GT(yielded, 0);
    }
  });
}

// gr1 yields ii to its consumer (gr2) and ii*ii two levels up, past gr2, to gr2's consumer.
Genlet gr1(int n) {
  return Genlet([n] {
    for (int ii = 1; ii < n; ++ii) {
      yield_value(ii);
      yield_value(ii * ii, 2);
    }
  });
}
Genlet gr2(int n, List& seen) {
  return Genlet([n, &seen] {
    Genlet inner = gr1(n);
    while (auto ii = inner.next<int>()) seen.push_back(*ii);
  });
}

TEST(NestedGeneratorTests, test_layered_genlets) {
  List seen;
  Genlet outer = gr2(5, seen);
  while (auto ii = outer.next<int>()) seen.push_back(*ii);
  EXPECT_EQ(seen, (List{1, 1, 2, 4, 3, 9, 4, 16}));
}

TEST(NestedGeneratorTests, test_permutations) {
  std::vector<List> permutations;
  Genlet all = perms({0, 1, 2, 3});
  while (auto p = all.next<List>()) permutations.push_back(*p);
  EXPECT_EQ(permutations.size(), 24u);
  EXPECT_NE(std::find(permutations.begin(), permutations.end(), List{0, 1, 2, 3}), permutations.end());
  EXPECT_NE(std::find(permutations.begin(), permutations.end(), List{3, 2, 1, 0}), permutations.end());

  // zip(): two live genlets advanced in turn; the longer one is left suspended and unwound.
  std::vector<std::pair<List, List>> res;
  Genlet four = perms({0, 1, 2, 3});
  Genlet three = perms({0, 1, 2});
  for (;;) {
    auto x = four.next<List>();
    if (!x) break;
    auto y = three.next<List>();
    if (!y) break;
    res.emplace_back(*x, *y);
  }
  const std::vector<std::pair<List, List>> expected = {{{0, 1, 2, 3}, {0, 1, 2}}, {{0, 1, 3, 2}, {0, 2, 1}},
                                                       {{0, 2, 1, 3}, {1, 0, 2}}, {{0, 2, 3, 1}, {1, 2, 0}},
                                                       {{0, 3, 1, 2}, {2, 0, 1}}, {{0, 3, 2, 1}, {2, 1, 0}}};
  EXPECT_EQ(res, expected);
}

TEST(NestedGeneratorTests, test_genlet_simple) {
  for (auto make : {&g2, &g3}) {
    List seen;
    for (int round = 0; round < 3; ++round) {
      Genlet g = make(5, seen);
      while (auto j = g.next<int>()) seen.push_back(*j);
    }
    List once = {1, 0, 2, 1, 3, 2, 4, 3, 5, 4}, expected;
    for (int i = 0; i < 3; ++i) expected.insert(expected.end(), once.begin(), once.end());
    EXPECT_EQ(seen, expected);
  }
}

TEST(NestedGeneratorTests, test_genlet_bad) { EXPECT_THROW(yield_value(10), std::runtime_error); }

TEST(NestedGeneratorTests, test_nested_genlets) {
  List seen;
  Genlet g = ax(5);
  while (auto ii = g.next<int>()) seen.push_back(*ii);
  EXPECT_EQ(seen, (List{1, 2, 3, 4, 5}));
}

}  // namespace
}  // namespace fern::ported
