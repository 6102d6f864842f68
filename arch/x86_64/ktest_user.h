/* test=user: what the user programs (ktest_user.S) and the kernel side
 * (ktest_user.c) agree on: where things are mapped, the test's own system
 * call numbers and the values the programs check. Plain numbers, so the
 * assembler reads this too. */
#ifndef FB_KTEST_USER_H
#define FB_KTEST_USER_H

#define KT_CODE_VA   0x400000             /* the programs' page (HAL_USER_BASE) */
#define KT_DATA_VA   0x600000             /* a data page for the TLB programs */
#define KT_STACK_TOP 0x00007ffffff00000   /* top of the one stack page */
#define KT_UNMAPPED  0x10000000           /* a user address nothing maps */

/* The test's system calls (not the kernel's table: a handler of its own). */
#define KT_NULL       0    /* returns KT_NULL_MARK */
#define KT_EXIT       1    /* (code): ends the thread */
#define KT_YIELD      2    /* gives the CPU up */
#define KT_RECORD     3    /* (value): appended to the thread's log */
#define KT_COPY       4    /* (uptr, n <= 8): hal_copy_from_user's result */
#define KT_CLOBBER    5    /* overwrites every caller-saved register in the kernel */
#define KT_CHECK_REGS 6    /* (uptr): compares 14 saved registers; mask of mismatches */
#define KT_MIGRATE    7    /* (n): moves to CPU n mod CPUs, KT_LAST_CPU: the last */
#define KT_PROTECT    8    /* (va, flags): hal_aspace_protect in the caller's space */
#define KT_UNMAP      9    /* (va): hal_aspace_unmap in the caller's space */
#define KT_UNKNOWN    999  /* no such call */

#define KT_NULL_MARK      0x600D
#define KT_NULL_BATCHES   10
#define KT_NULL_PER_BATCH 10000
#define KT_SSE_ROUNDS     300
#define KT_SSE_SPIN       200000
#define KT_COPY_VALUE     0x0123456789ABCDEF
#define KT_KERNEL_VA      (-0x80000000)   /* the kernel image, sign-extended */
#define KT_PROT_RO        0x9             /* HAL_MAP_READ | HAL_MAP_USER */
#define KT_LAST_CPU       0xFFFF          /* more than any round number */
#define KT_RFLAGS         0x202           /* the programs' RFLAGS: IF and bit 1 */
#define KT_ENOSYS         (-19)           /* FB_ENOSYS */
/* The value the register program keeps in its n-th register (1..12). */
#define KT_REG(n)         (0x5EED000000000000 + (n) * 0x0101010101)

#endif
