/* fern_context_switch(void** save_sp [x0], void* target_sp [x1], void* value [x2]) -> value [x0]
 * See include/fern/context/machine_context.hpp. The AAPCS64 callee-saved state, in a 176-byte frame
 * from the saved stack pointer up:
 *   +0 d8 d9, +16 d10 d11, +32 d12 d13, +48 d14 d15, +64 x19 x20, +80 x21 x22, +96 x23 x24,
 *   +112 x25 x26, +128 x27 x28, +144 x29 (frame pointer) x30 (link register), +160 FPCR, +168 pad.
 * It ends with `br x30`, not `ret`, for the reason the x86-64 version ends in `jmp`: its call
 * sites are inlined, so the two sides of a switch resume at different places and the return
 * predictor would always guess the other one. */
    .text
    .globl fern_context_switch
    .type fern_context_switch, %function
    .p2align 4
fern_context_switch:
    .cfi_startproc
    sub sp, sp, #176
    stp d8, d9, [sp, #0]
    stp d10, d11, [sp, #16]
    stp d12, d13, [sp, #32]
    stp d14, d15, [sp, #48]
    stp x19, x20, [sp, #64]
    stp x21, x22, [sp, #80]
    stp x23, x24, [sp, #96]
    stp x25, x26, [sp, #112]
    stp x27, x28, [sp, #128]
    stp x29, x30, [sp, #144]
    mrs x9, fpcr
    str x9, [sp, #160]
    mov x9, sp
    str x9, [x0]
    mov sp, x1
    ldp d8, d9, [sp, #0]
    ldp d10, d11, [sp, #16]
    ldp d12, d13, [sp, #32]
    ldp d14, d15, [sp, #48]
    ldp x19, x20, [sp, #64]
    ldp x21, x22, [sp, #80]
    ldp x23, x24, [sp, #96]
    ldp x25, x26, [sp, #112]
    ldp x27, x28, [sp, #128]
    ldp x29, x30, [sp, #144]
    ldr x9, [sp, #160]
    msr fpcr, x9
    add sp, sp, #176
    mov x0, x2
    br x30
    .cfi_endproc
    .size fern_context_switch, .-fern_context_switch

/* First instructions of a fresh context: x19 holds the entry function, x20 its argument, and x0
 * the value passed by the jump. The frame pointer and link register are zero, which ends a
 * backtrace here. */
    .globl fern_context_trampoline
    .type fern_context_trampoline, %function
    .p2align 4
fern_context_trampoline:
    .cfi_startproc
    .cfi_undefined x30
    mov x1, x0
    mov x0, x20
    blr x19
    brk #0
    .cfi_endproc
    .size fern_context_trampoline, .-fern_context_trampoline

    .section .note.GNU-stack,"",%progbits
