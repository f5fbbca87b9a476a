#include "fern/context/machine_context.hpp"

#include <cstdint>

extern "C" void fern_context_trampoline();

namespace fern::context {

#if defined(__x86_64__)
void* make_context(void* stack_top, EntryFn entry, void* arg) noexcept {
  auto top = reinterpret_cast<std::uintptr_t>(stack_top) & ~std::uintptr_t{15};
  auto* slot = reinterpret_cast<std::uint64_t*>(top);
  // slot[-1], slot[-2]: padding, so the trampoline runs with rsp 16-byte aligned after `ret`.
  slot[-1] = 0;
  slot[-2] = 0;
  slot[-3] = reinterpret_cast<std::uint64_t>(&fern_context_trampoline);  // return address
  slot[-4] = 0;                                                          // rbp
  slot[-5] = 0;                                                          // rbx
  slot[-6] = reinterpret_cast<std::uint64_t>(entry);                     // r12
  slot[-7] = reinterpret_cast<std::uint64_t>(arg);                       // r13
  slot[-8] = 0;                                                          // r14
  slot[-9] = 0;                                                          // r15
  // Default MXCSR (all exceptions masked, round to nearest) and x87 control word.
  slot[-10] = 0x1F80ull | (0x037Full << 32);
  return &slot[-10];
}
#elif defined(__aarch64__)
// The 176-byte frame fern_context_switch pops (see jump_aarch64_aapcs.S), zeroed but for x19 (the
// entry), x20 (its argument) and x30 (the trampoline it jumps to). FPCR 0 is the default mode.
void* make_context(void* stack_top, EntryFn entry, void* arg) noexcept {
  constexpr std::size_t kFrameWords = 176 / 8;
  auto top = reinterpret_cast<std::uintptr_t>(stack_top) & ~std::uintptr_t{15};
  auto* frame = reinterpret_cast<std::uint64_t*>(top) - kFrameWords;
  for (std::size_t i = 0; i < kFrameWords; ++i) frame[i] = 0;
  frame[64 / 8] = reinterpret_cast<std::uint64_t>(entry);                      // x19
  frame[72 / 8] = reinterpret_cast<std::uint64_t>(arg);                        // x20
  frame[152 / 8] = reinterpret_cast<std::uint64_t>(&fern_context_trampoline);  // x30
  return frame;
}
#endif

}  // namespace fern::context
