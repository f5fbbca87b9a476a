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
#include <cstdint>
#include <vector>

#include "fern/context/stack.hpp"

namespace fern::context {

inline constexpr std::size_t kDenseStackSize = 32 * 1024;
// The canary: the bottom 64 bytes of each dense stack, left at zero.
inline constexpr std::size_t kDenseCanaryWords = 8;

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
    const auto* words = reinterpret_cast<const volatile std::uint64_t*>(stack.base);
    std::uint64_t any = 0;
    for (std::size_t i = 0; i < kDenseCanaryWords; ++i) any |= words[i];
    return any == 0;
  }

  // The calling thread's pool. Its regions outlive it while any of its stacks is still out (an
  // object placed in a stack may be released after the thread's pools are gone).
  static DenseStackPool& local();
  // Returns `stack` to the calling thread's pool; after that pool is destroyed, keeps it (the
  // region is never unmapped then).
  static void release_local(Stack stack) noexcept;

 private:
  static void write_canary(const Stack& stack) noexcept;

  std::vector<Stack> regions_;  // each a guarded mapping: the guard sits below the lowest stack
  std::vector<char*> free_;
  char* next_ = nullptr;  // bump allocation within the newest region
  char* end_ = nullptr;
  std::size_t out_ = 0;  // stacks acquired and not released
};

}  // namespace fern::context
