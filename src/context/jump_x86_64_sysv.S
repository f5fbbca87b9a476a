/* fern_context_switch(void** save_sp [rdi], void* target_sp [rsi], void* value [rdx]) -> value [rax]
 * See include/fern/context/machine_context.hpp. Frame, from the saved stack pointer up:
 *   +0 MXCSR (4 bytes), +4 x87 control word (2 bytes, 2 padding), +8 r15, +16 r14, +24 r13,
 *   +32 r12, +40 rbx, +48 rbp, +56 return address.
 * It ends by popping the target's return address and jumping to it instead of `ret`: the greenlet
 * layer inlines its switch into the caller, so the two sides of a switch resume at different
 * places, where a `ret` is always mispredicted (the return-stack buffer holds the other side's
 * address) while the indirect `jmp` is predicted from branch history. */
    .globl fern_context_switch
    .type fern_context_switch, @function
    .align 16
fern_context_switch:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    leaq -8(%rsp), %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    leaq 8(%rsp), %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    popq %rcx
    movq %rdx, %rax
    jmp *%rcx
    .cfi_endproc
    .size fern_context_switch, .-fern_context_switch

/* First instructions of a fresh context: r12 holds the entry function, r13 its argument, and rax
 * the value passed by the jump. The stack is 16-byte aligned here, as the call needs. */
    .globl fern_context_trampoline
    .type fern_context_trampoline, @function
    .align 16
fern_context_trampoline:
    .cfi_startproc
    .cfi_undefined rip
    movq %r13, %rdi
    movq %rax, %rsi
    callq *%r12
    ud2
    .cfi_endproc
    .size fern_context_trampoline, .-fern_context_trampoline

    .section .note.GNU-stack,"",%progbits
