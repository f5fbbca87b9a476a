// Stacks for greenlets: memory mapped with a PROT_NONE guard page below the usable range, so an
// overflow faults instead of silently corrupting a neighbour, and pooled per thread, so spawning
// and finishing a greenlet costs no system call once the pool is warm.
//
// Each guarded stack costs the kernel two mappings (the stack and its guard); with vm.max_map_count
// at 65530 that caps live guarded stacks near 32,000 per process. Beyond that use StackMode::dense
// (context/dense_stack_pool.hpp).
#pragma once

#include <cstddef>
#include <vector>

namespace fern::context {

inline constexpr std::size_t kDefaultStackSize = 256 * 1024;

struct Stack {
  char* base = nullptr;     // lowest usable address (just above the guard page)
  std::size_t size = 0;     // usable bytes
  char* mapping = nullptr;  // start of the mapping, guard page included (null for dense stacks)
  std::size_t mapping_size = 0;
  bool dense = false;  // carved from a DenseStackPool region

  char* top() const noexcept { return base + size; }
  bool valid() const noexcept { return mapping != nullptr; }
  // True when `addr` falls in this stack's guard page (or just below it).
  bool in_guard(const void* addr) const noexcept;
};

// Maps a fresh guarded stack of at least `size` usable bytes. Throws std::system_error
// (fern::Errc::resource_exhausted) when the kernel refuses the mapping.
Stack map_stack(std::size_t size);
void unmap_stack(Stack& stack) noexcept;

// A per-thread cache of stacks of the default size; other sizes go straight to map/unmap.
class StackPool {
 public:
  explicit StackPool(std::size_t max_cached = 512) : max_cached_(max_cached) { free_.reserve(max_cached); }
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;
  ~StackPool();

  Stack acquire(std::size_t size = kDefaultStackSize);
  void release(Stack stack) noexcept;
  std::size_t cached() const noexcept { return free_.size(); }
  // Hands the cached stacks' pages back to the kernel (they read as zeros again) and keeps the
  // mappings, so the next spawns reuse them without a system call other than the page faults. For
  // after a spike: each cached stack otherwise keeps the pages its last greenlet touched.
  void trim() noexcept;

  // The calling thread's pool.
  static StackPool& local();

 private:
  std::size_t max_cached_;
  std::vector<Stack> free_;
};

}  // namespace fern::context
