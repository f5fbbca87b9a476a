// DenseStackPool: small stacks carved side by side from large mappings, for very many greenlets.
// A guarded stack costs two kernel mappings, and vm.max_map_count (65530) caps those near 32,000;
// a dense region of 2,048 stacks costs two. A parked greenlet then holds only the pages its frames
// touched (usually one), so a million of them fit in a few GiB.
//
// The price is the guard page: an overflow runs into the neighbouring stack instead of faulting.
// So 64 bytes just below each dense stack hold a canary, a non-zero pattern that the greenlet layer
// checks whenever the greenlet switches out, aborting with the greenlet's name before anyone else
// runs. The canary sits in the top 64 bytes of the slot below (reserved: that slot's own stack ends
// under them), which is the page the neighbour's frames already occupy, so a canary costs no page of
// its own in a crowded region; a zero pattern would be free even alone, but a zero-filling overflow
// (a memset, a zeroed array) would then go unseen. Canary present <=> stack above in use: release
// clears it, and trimming a slot keeps its canary for a neighbour that is still in use.
// A frame that jumps clean over the canary is not caught; give such code a guarded stack.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "fern/context/stack.hpp"

namespace fern::context {

// The slot a dense stack occupies; the stack itself is 64 bytes smaller (the canary of the slot above
// takes the rest).
inline constexpr std::size_t kDenseStackSize = 32 * 1024;
inline constexpr std::size_t kDenseCanaryWords = 8;
inline constexpr std::size_t kDenseCanaryBytes = kDenseCanaryWords * sizeof(std::uint64_t);
inline constexpr std::uint64_t kDenseCanary = 0x9e3779b97f4a7c15;  // not zero, not a plausible pointer

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

  // True while the canary at the bottom of `stack` is untouched. Inline: every switch out of a
  // dense greenlet checks it.
  static bool canary_intact(const Stack& stack) noexcept {
    const auto* words = canary_of(stack.base);
    std::uint64_t diff = 0;
    for (std::size_t i = 0; i < kDenseCanaryWords; ++i) diff |= words[i] ^ kDenseCanary;
    return diff == 0;
  }

  // The calling thread's pool. Its regions outlive it while any of its stacks is still out (an
  // object placed in a stack may be released after the thread's pools are gone).
  static DenseStackPool& local();
  // Returns `stack` to the calling thread's pool; after that pool is destroyed, keeps it (the
  // region is never unmapped then).
  static void release_local(Stack stack) noexcept;
  // Hands every free stack of the calling thread's pool back to the kernel, the most recently freed
  // (kept warm otherwise) included, and lets the free list's own storage go. For after a spike.
  static void trim_local() noexcept;

 private:
  static volatile std::uint64_t* canary_of(char* stack_base) noexcept {
    return reinterpret_cast<volatile std::uint64_t*>(stack_base - kDenseCanaryBytes);
  }

  std::vector<Stack> regions_;  // each a guarded mapping: the guard sits below the lowest stack
  std::vector<char*> free_;
  char* next_ = nullptr;  // bump allocation within the newest region
  char* end_ = nullptr;
  std::size_t out_ = 0;  // stacks acquired and not released
};

}  // namespace fern::context
