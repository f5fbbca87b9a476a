#include "fern/context/dense_stack_pool.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>

#if defined(FERN_ASAN) || defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace fern::context {
namespace {

constexpr std::size_t kStacksPerRegion = 2048;
// A region starts with one spare slot below its first: the lowest stack's canary lives at its top.
// A whole slot rather than a page keeps the slots aligned as before, which ASan's shadow needs to
// reset a stack's shadow without touching it (one page of shadow per 32 KiB).
constexpr std::size_t kRegionFloor = kDenseStackSize;

bool canary_written(char* stack_base) noexcept {
  const auto* words = reinterpret_cast<const volatile std::uint64_t*>(stack_base - kDenseCanaryBytes);
  return words[0] == kDenseCanary;
}

void set_canary(char* stack_base, std::uint64_t value) noexcept {
  auto* words = reinterpret_cast<volatile std::uint64_t*>(stack_base - kDenseCanaryBytes);
  for (std::size_t i = 0; i < kDenseCanaryWords; ++i) words[i] = value;
}

// The thread's own pool, and whether it is gone: both trivially destructible, so they stay readable
// through the rest of thread exit.
constinit thread_local DenseStackPool* t_local_pool = nullptr;
constinit thread_local bool t_local_pool_gone = false;

// Trimming. After a spike (a million greenlets parked, then gone) the thread's free list holds every
// stack, each keeping the pages its frames touched: gigabytes that nothing uses. The most recently
// freed kHotStacks stay as they are, so a steady program reuses warm pages and never trims; the
// older ones are handed back to the kernel (MADV_DONTNEED: they read as zeros again) a batch at a
// time, neighbouring stacks merged into one call. The top of a trimmed run holds the canary of the
// slot above it, which may be in use: that one canary is written back. t_trimmed counts the
// entries at the front of the thread's free list (the oldest) already handed back.
constexpr std::size_t kHotStacks = 4096;
constexpr std::size_t kTrimBatch = 1024;
constinit thread_local std::size_t t_trimmed = 0;

void trim(std::vector<char*>& free, std::size_t from, std::size_t count) noexcept {
  std::vector<char*> batch;
  try {
    batch.assign(free.begin() + static_cast<std::ptrdiff_t>(from),
                 free.begin() + static_cast<std::ptrdiff_t>(from + count));
  } catch (...) {
    return;  // trimming is an optimisation; without memory for the batch, skip it
  }
  std::sort(batch.begin(), batch.end());
  for (std::size_t i = 0; i < batch.size();) {
    std::size_t j = i + 1;
    while (j < batch.size() && batch[j] == batch[j - 1] + kDenseStackSize) ++j;
    char* above = batch[j - 1] + kDenseStackSize;  // the slot above the run
    const bool above_in_use = canary_written(above);
    ::madvise(batch[i], (j - i) * kDenseStackSize, MADV_DONTNEED);
    if (above_in_use) set_canary(above, kDenseCanary);
    i = j;
  }
}

}  // namespace

DenseStackPool::~DenseStackPool() {
  if (this == t_local_pool) {
    t_local_pool_gone = true;
    t_local_pool = nullptr;
    // Something still holds one of our stacks (a greenlet object living in its own stack, kept by
    // a reference that dies later in thread exit): the memory must stay valid.
    if (out_ != 0) return;
  }
  for (Stack& r : regions_) unmap_stack(r);
}

Stack DenseStackPool::acquire() {
  char* base;
  if (!free_.empty()) {
    base = free_.back();
    free_.pop_back();
    if (this == t_local_pool) t_trimmed = std::min(t_trimmed, free_.size());
  } else {
    if (next_ == end_) {
      regions_.reserve(regions_.size() + 1);
      Stack region = map_stack(kRegionFloor + kDenseStackSize * kStacksPerRegion);
      regions_.push_back(region);
      next_ = region.base + kRegionFloor;
      end_ = region.base + region.size;
    }
    base = next_;
    next_ += kDenseStackSize;
  }
  ++out_;
  Stack s;
  s.base = base;
  s.size = kDenseStackSize - kDenseCanaryBytes;  // the slot's top 64 bytes: the canary of the one above
  s.dense = true;
#if defined(FERN_ASAN) || defined(__SANITIZE_ADDRESS__)
  // The whole slot, canary above included: a page-sized shadow range is reset without touching it
  // (ASan remaps it), where one 64 bytes short would be written, costing a resident page each.
  ASAN_UNPOISON_MEMORY_REGION(s.base, kDenseStackSize);
#endif
  set_canary(s.base, kDenseCanary);
  return s;
}

void DenseStackPool::release(Stack stack) noexcept {
  --out_;
  set_canary(stack.base, 0);  // no longer in use: trimming the slot below need not keep it
  try {
    free_.push_back(stack.base);
  } catch (...) {
    // Losing one small stack to the region beats failing a greenlet's death.
    return;
  }
  if (this == t_local_pool && free_.size() >= t_trimmed + kHotStacks + kTrimBatch) {
    trim(free_, t_trimmed, kTrimBatch);
    t_trimmed += kTrimBatch;
  }
}

DenseStackPool& DenseStackPool::local() {
  static thread_local DenseStackPool pool;
  t_local_pool = &pool;
  return pool;
}

void DenseStackPool::release_local(Stack stack) noexcept {
  if (t_local_pool_gone) return;
  local().release(stack);
}

void DenseStackPool::trim_local() noexcept {
  if (t_local_pool_gone || t_local_pool == nullptr) return;
  std::vector<char*>& free = t_local_pool->free_;
  if (free.size() > t_trimmed) trim(free, t_trimmed, free.size() - t_trimmed);
  t_trimmed = free.size();
  // After a million greenlets the list itself is 8 MiB; a list rebuilt later costs a few reallocs.
  if (free.capacity() > 2 * free.size() + kTrimBatch) {
    try {
      free.shrink_to_fit();
    } catch (...) {
      // Keeping the larger list is fine.
    }
  }
}

}  // namespace fern::context
