// DenseStackPool: small stacks carved side by side from large mappings, for very many greenlets.
// A guarded stack costs two kernel mappings, and vm.max_map_count (65530) caps those near 32,000;
// a dense region of 2,048 stacks costs two. A parked greenlet then holds only the pages its frames
// touched (usually one), so a million of them fit in a few GiB.
//
// The price is the guard page: an overflow runs into the neighbouring stack instead of faulting.
// Each dense stack's bottom 64 bytes are a canary (kept at zero, so it costs no page) that the
// greenlet layer checks whenever the greenlet switches out, aborting with the greenlet's name
// before anyone else runs.
// A frame that jumps clean over the canary is not caught; give such code a guarded stack.
#pragma once

#include <cstddef>
#include <vector>

#include "fern/context/stack.hpp"

namespace fern::context {

inline constexpr std::size_t kDenseStackSize = 32 * 1024;

class DenseStackPool {
 public:
  DenseStackPool() = default;
  DenseStackPool(const DenseStackPool&) = delete;
  DenseStackPool& operator=(const DenseStackPool&) = delete;
  ~DenseStackPool();

  // Throws std::system_error (Errc::resource_exhausted) when the kernel refuses a new region.
  Stack acquire();
  void release(Stack stack) noexcept;
  std::size_t regions() const noexcept { return regions_.size(); }

  // True while the canary at the bottom of `stack` is untouched.
  static bool canary_intact(const Stack& stack) noexcept;

  static DenseStackPool& local();

 private:
  static void write_canary(const Stack& stack) noexcept;

  std::vector<Stack> regions_;  // each a guarded mapping: the guard sits below the lowest stack
  std::vector<char*> free_;
  char* next_ = nullptr;  // bump allocation within the newest region
  char* end_ = nullptr;
};

}  // namespace fern::context
