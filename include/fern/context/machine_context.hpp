// Machine context: the few instructions that save one stack's callee-saved registers and resume
// another's. This is the only architecture-specific code in fern; everything above it speaks of
// stack pointers.
//
// Implementation: fern_context_switch pushes the System V callee-saved registers (rbp, rbx, r12-r15)
// and the MXCSR / x87 control words onto the current stack, stores the stack pointer, loads the
// target's and pops the same set: 8 stores, 8 loads and no system call. A value travels in the
// return register, so the resumed side learns who switched to it. It ends in `pop; jmp` rather than
// `ret` (as Boost's jump_fcontext does), since its call sites are inlined into many callers.
#pragma once

#include <cstddef>

#if !defined(__x86_64__)
#error "fern's machine context is written for x86-64 System V; port src/context/jump_*.S first"
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
