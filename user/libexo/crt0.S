/* Program entry. The kernel enters with RDI = the argument string
 * (NUL-terminated, maybe empty) and RSP 16-byte aligned. RBP = 0 ends
 * frame-pointer stack walks here; the CALL leaves RSP at 8 mod 16 inside
 * libexo_start, as the System V ABI expects of a function entry. */
    .section .text._start, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    xorl %ebp, %ebp
    andq $-16, %rsp
    call libexo_start
    ud2
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits
