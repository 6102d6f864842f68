/* The native system call instruction, for exo_syscalls.h (generated from
 * core/sys/syscalls.tbl): RAX = number, arguments in RDI RSI RDX R10 R8
 * R9, result in RAX. SYSCALL itself overwrites RCX (return RIP) and R11
 * (RFLAGS); the kernel preserves every other register. "memory" because
 * the kernel reads and writes user buffers behind the compiler's back. */
#ifndef EXO_SYSCALL_H
#define EXO_SYSCALL_H

#include <stdint.h>

/* Syscall with no argument. */
static inline int64_t exo_syscall0(uint64_t nr)
{
    int64_t ret;

    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
    return ret;
}

/* Syscall with one argument. */
static inline int64_t exo_syscall1(uint64_t nr, uint64_t a0)
{
    int64_t ret;

    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a0) : "rcx", "r11", "memory");
    return ret;
}

/* Syscall with two arguments. */
static inline int64_t exo_syscall2(uint64_t nr, uint64_t a0, uint64_t a1)
{
    int64_t ret;

    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1) : "rcx", "r11", "memory");
    return ret;
}

/* Syscall with three arguments. */
static inline int64_t exo_syscall3(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
    int64_t ret;

    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a0), "S"(a1), "d"(a2)
                     : "rcx", "r11", "memory");
    return ret;
}

/* Syscall with four arguments; the fourth goes in R10 because SYSCALL
 * takes RCX for the return address. */
static inline int64_t exo_syscall4(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                                   uint64_t a3)
{
    int64_t ret;
    register uint64_t r10 __asm__("r10") = a3;

    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10)
                     : "rcx", "r11", "memory");
    return ret;
}

/* Syscall with five arguments. */
static inline int64_t exo_syscall5(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                                   uint64_t a3, uint64_t a4)
{
    int64_t ret;
    register uint64_t r10 __asm__("r10") = a3;
    register uint64_t r8 __asm__("r8") = a4;

    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8)
                     : "rcx", "r11", "memory");
    return ret;
}

/* Syscall with six arguments. */
static inline int64_t exo_syscall6(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                                   uint64_t a3, uint64_t a4, uint64_t a5)
{
    int64_t ret;
    register uint64_t r10 __asm__("r10") = a3;
    register uint64_t r8 __asm__("r8") = a4;
    register uint64_t r9 __asm__("r9") = a5;

    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

#endif
