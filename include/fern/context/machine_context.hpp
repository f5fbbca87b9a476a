// Machine context: the few instructions that save one stack's callee-saved registers and resume
// another's. This is the only architecture-specific code in fern; everything above it speaks of
// stack pointers.
//
// Implementation, one assembly file per architecture, the same saved state on each: the callee-saved
// registers and the floating-point control state of the ABI. On x86-64 (System V),
// fern_context_switch pushes rbp, rbx, r12-r15 and the MXCSR / x87 control words: 8 stores, 8 loads.
// On aarch64 (AAPCS64) it stores x19-x29, the link register, d8-d15 and FPCR. Neither makes a
// system call. A value travels in the return register, so the resumed side learns who switched to
// it. Each ends in an indirect jump rather than a return (as Boost's jump_fcontext does), since its
// call sites are inlined into many callers and the return predictor would guess the other side.
#pragma once

#include <cstddef>

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "fern's machine context is written for x86-64 and aarch64; port src/context/jump_*.S first"
#endif

extern "C" {
// Saves the current context at *save_sp and resumes target_sp; returns the `value` passed by
// whoever later resumes this context.
void* fern_context_switch(void** save_sp, void* target_sp, void* value) noexcept;
}

namespace fern::context {

// Entry of a fresh context: `arg` is what make_context was given, `first_value` what the first
// jump into it passed. It must never return; it ends by jumping elsewhere.
using EntryFn = void (*)(void* arg, void* first_value);

// Lays out an initial frame at the top of [stack_top - size, stack_top) so that the first jump to
// the returned stack pointer calls entry(arg, value). Needs about 96 bytes.
void* make_context(void* stack_top, EntryFn entry, void* arg) noexcept;

inline void* switch_context(void** save_sp, void* target_sp, void* value) noexcept {
  return fern_context_switch(save_sp, target_sp, value);
}

}  // namespace fern::context
