// Sanitizer fiber annotations: ASan must be told when execution moves to another stack, or it
// mistakes the switch for a stack overflow and reports false positives on unwinding.
#pragma once

#include <cstddef>

#if defined(FERN_ASAN) || defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define FERN_HAS_ASAN 1
#endif

namespace fern::detail {

inline void sanitizer_start_switch(void** fake_stack, const void* bottom, std::size_t size) noexcept {
#ifdef FERN_HAS_ASAN
  __sanitizer_start_switch_fiber(fake_stack, bottom, size);
#else
  (void)fake_stack, (void)bottom, (void)size;
#endif
}

inline void sanitizer_finish_switch(void* fake_stack, const void** old_bottom,
                                    std::size_t* old_size) noexcept {
#ifdef FERN_HAS_ASAN
  __sanitizer_finish_switch_fiber(fake_stack, old_bottom, old_size);
#else
  (void)fake_stack, (void)old_bottom, (void)old_size;
#endif
}

}  // namespace fern::detail
