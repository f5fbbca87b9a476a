#include "fern/context/stack.hpp"

#include <gtest/gtest.h>

namespace fern::context {
namespace {

TEST(StackPool, ReusesReleasedStacks) {
  StackPool pool(4);
  Stack a = pool.acquire();
  char* base = a.base;
  EXPECT_GE(a.size, kDefaultStackSize);
  a.top()[-1] = 1;  // usable up to the top
  a.base[0] = 1;    // and down to the base
  pool.release(a);
  EXPECT_EQ(pool.cached(), 1u);
  Stack b = pool.acquire();
  EXPECT_EQ(b.base, base);
  pool.release(b);
}

// After a spike the cached stacks would keep the pages their greenlets touched; trim() hands them
// back (they read as zeros again) and keeps the stacks for reuse.
TEST(StackPool, TrimHandsTheCachedPagesBack) {
  StackPool pool(4);
  Stack a = pool.acquire();
  char* base = a.base;
  a.top()[-64] = 7;
  pool.release(a);
  EXPECT_EQ(base[a.size - 64], 7) << "a cached stack keeps its pages until trimmed";
  pool.trim();
  EXPECT_EQ(pool.cached(), 1u);
  EXPECT_EQ(base[a.size - 64], 0);
  Stack b = pool.acquire();
  EXPECT_EQ(b.base, base);
  pool.release(b);
}

TEST(StackPool, OtherSizesAreNotCached) {
  StackPool pool(4);
  Stack s = pool.acquire(64 * 1024);
  EXPECT_GE(s.size, 64u * 1024);
  pool.release(s);
  EXPECT_EQ(pool.cached(), 0u);
}

TEST(Stack, GuardPageIsRecognised) {
  Stack s = map_stack(16 * 1024);
  EXPECT_TRUE(s.in_guard(s.base - 1));
  EXPECT_FALSE(s.in_guard(s.base));
  EXPECT_FALSE(s.in_guard(s.top() - 1));
  unmap_stack(s);
  EXPECT_FALSE(s.valid());
}

TEST(StackDeathTest, GuardPageFaults) {
  Stack s = map_stack(16 * 1024);
  EXPECT_DEATH({ *(volatile char*)(s.base - 1) = 1; }, "");
  unmap_stack(s);
}

}  // namespace
}  // namespace fern::context
