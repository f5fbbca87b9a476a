#include "fern/context/dense_stack_pool.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace fern::context {
namespace {

TEST(DenseStackPool, CarvesManyStacksFromFewRegions) {
  DenseStackPool pool;
  std::vector<Stack> stacks;
  for (int i = 0; i < 5000; ++i) stacks.push_back(pool.acquire());
  EXPECT_LE(pool.regions(), 3u);  // 2,048 per region
  std::set<char*> bases;
  for (const Stack& s : stacks) {
    EXPECT_TRUE(s.dense);
    EXPECT_EQ(s.size, kDenseStackSize);
    EXPECT_TRUE(DenseStackPool::canary_intact(s));
    s.top()[-1] = 1;
    bases.insert(s.base);
  }
  EXPECT_EQ(bases.size(), stacks.size());
  for (const Stack& s : stacks) pool.release(s);
  Stack again = pool.acquire();
  EXPECT_TRUE(bases.count(again.base));  // reused, not a new region
  EXPECT_LE(pool.regions(), 3u);
}

TEST(DenseStackPool, CanaryDetectsScribbles) {
  DenseStackPool pool;
  Stack s = pool.acquire();
  s.base[3] ^= 1;
  EXPECT_FALSE(DenseStackPool::canary_intact(s));
  pool.release(s);
  Stack t = pool.acquire();  // a released stack gets a fresh canary
  EXPECT_TRUE(DenseStackPool::canary_intact(t));
}

}  // namespace
}  // namespace fern::context

namespace fern::context {
namespace {

TEST(DenseStackPool, ReleaseLocalReturnsToTheThreadsPool) {
  DenseStackPool& pool = DenseStackPool::local();
  Stack s = pool.acquire();
  DenseStackPool::release_local(s);
  Stack again = pool.acquire();
  EXPECT_EQ(again.base, s.base);
  DenseStackPool::release_local(again);
}

}  // namespace
}  // namespace fern::context
