#include "fern/context/dense_stack_pool.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <set>
#include <thread>
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
    EXPECT_EQ(s.size, kDenseStackSize - kDenseCanaryBytes);
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
  char* canary = s.base - kDenseCanaryBytes;  // just below the stack: where an overflow lands first
  canary[3] ^= 1;
  EXPECT_FALSE(DenseStackPool::canary_intact(s));
  pool.release(s);
  Stack t = pool.acquire();  // a released stack gets a fresh canary
  EXPECT_TRUE(DenseStackPool::canary_intact(t));
  pool.release(t);
}

TEST(DenseStackPool, CanaryDetectsAZeroFillingOverflow) {
  DenseStackPool pool;
  Stack s = pool.acquire();
  std::memset(s.base - kDenseCanaryBytes, 0, kDenseCanaryBytes);  // a zeroed array run past its end
  EXPECT_FALSE(DenseStackPool::canary_intact(s));
  pool.release(s);
}

TEST(DenseStackPool, EveryStackOfARegionHasACanaryTheOthersNeverTouch) {
  DenseStackPool pool;
  std::vector<Stack> stacks;
  for (int i = 0; i < 2048 + 2; ++i) stacks.push_back(pool.acquire());  // a whole region and more
  for (const Stack& s : stacks) std::memset(s.base, 0xff, s.size);      // each stack used to the full
  for (const Stack& s : stacks) EXPECT_TRUE(DenseStackPool::canary_intact(s)) << static_cast<void*>(s.base);
  for (const Stack& s : stacks) pool.release(s);
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

long resident_kib() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * (::sysconf(_SC_PAGESIZE) / 1024);
}

// A spike: 20,000 stacks each touch four pages (a few frames deep), then all come back. The pool
// hands all but the most recent few thousand back to the kernel, so resident memory falls back
// instead of staying at the peak. (Memory, not time: RSS is what the check reads. Four pages, not
// one, so that the stacks' own pages outweigh what ASan's shadow of them keeps resident.)
TEST(DenseStackPool, RssFallsBackAfterASpike) {
  std::thread([] {
    DenseStackPool& pool = DenseStackPool::local();
    const long before = resident_kib();
    std::vector<Stack> stacks;
    for (int i = 0; i < 20000; ++i) {
      stacks.push_back(pool.acquire());
      for (int page = 0; page < 4; ++page) stacks.back().top()[-64 - page * 4096] = 1;
    }
    const long peak = resident_kib();
    for (Stack& s : stacks) DenseStackPool::release_local(s);
    const long after = resident_kib();
    ASSERT_GT(peak - before, 100 * 1024) << "the spike touched at least 80,000 pages";
    EXPECT_LT(after - before, (peak - before) / 2)
        << "before " << before << " KiB, peak " << peak << " KiB, after " << after << " KiB";
    // Trimmed stacks are handed out again as good as new.
    Stack again = pool.acquire();
    EXPECT_TRUE(DenseStackPool::canary_intact(again));
    DenseStackPool::release_local(again);
  }).join();
}

// The most recently freed stacks stay warm on their own; trim_local() hands those back too, after a
// spike, and the stacks are handed out again as good as new.
TEST(DenseStackPool, TrimLocalHandsEveryFreeStackBack) {
  std::thread([] {
    DenseStackPool& pool = DenseStackPool::local();
    std::vector<Stack> stacks;
    for (int i = 0; i < 16; ++i) {
      stacks.push_back(pool.acquire());
      stacks.back().top()[-128] = 1;
    }
    for (Stack& s : stacks) DenseStackPool::release_local(s);
    EXPECT_EQ(stacks[3].top()[-128], 1) << "a few free stacks are kept warm";
    DenseStackPool::trim_local();
    for (const Stack& s : stacks) EXPECT_EQ(s.top()[-128], 0);
    Stack again = pool.acquire();
    EXPECT_TRUE(DenseStackPool::canary_intact(again));
    DenseStackPool::release_local(again);
  }).join();
}

// Trimming a free slot wipes its pages, the top one included, where the canary of the slot above
// lives: a neighbour still in use must keep its canary.
TEST(DenseStackPool, TrimmingKeepsTheCanaryOfANeighbourInUse) {
  std::thread([] {
    DenseStackPool& pool = DenseStackPool::local();
    std::vector<Stack> stacks;
    for (int i = 0; i < 12000; ++i) stacks.push_back(pool.acquire());
    std::vector<Stack> kept;
    for (std::size_t i = 0; i < stacks.size(); ++i) {
      if (i % 2 == 0) {
        DenseStackPool::release_local(stacks[i]);  // enough of them to be trimmed
      } else {
        kept.push_back(stacks[i]);
      }
    }
    for (const Stack& s : kept) EXPECT_TRUE(DenseStackPool::canary_intact(s)) << static_cast<void*>(s.base);
    for (const Stack& s : kept) DenseStackPool::release_local(s);
  }).join();
}

}  // namespace
}  // namespace fern::context
