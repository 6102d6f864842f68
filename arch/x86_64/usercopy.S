/* The one instruction that touches user memory on the kernel's behalf.
 * A #PF on it is turned into FB_EFAULT through the exception table
 * (__ex_table: pairs of faulting address, fixup address). */
#include "x86.h"

#define FB_EFAULT_CODE (-3)   /* FB_EFAULT in kerr.h */

/* int x86_copy_user(void *dst, const void *src, size_t n): 0 or FB_EFAULT.
 * STAC/CLAC open the SMAP window only around the copy. */
    .text
    .globl x86_copy_user
x86_copy_user:
    movq %rdx, %rcx
    cmpb $0, x86_smap_active(%rip)
    je 1f
    stac
1:
.Lcopy:
    rep movsb
    xorl %eax, %eax
.Ldone:
    cmpb $0, x86_smap_active(%rip)
    je 2f
    clac
2:  ret
.Lfault:
    movl $FB_EFAULT_CODE, %eax
    jmp .Ldone

    .section __ex_table, "a"
    .balign 8
    .quad .Lcopy, .Lfault
