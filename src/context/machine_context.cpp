#include "fern/context/machine_context.hpp"

#include <cstdint>

extern "C" void fern_context_trampoline();

namespace fern::context {

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

}  // namespace fern::context
