/* fault=NAME on the command line: raises one exception on purpose so
 * tests can check that each kind is reported with the right vector. */
#include <stdint.h>

#include "arch.h"
#include "cmdline.h"
#include "fmt.h"
#include "hal/panic.h"

/* Volatile so the compiler can neither fold the faults away nor prove
 * the recursion below endless. */
static volatile unsigned dividend = 1;
static volatile unsigned zero_divisor;
static volatile uint64_t recursion_limit = UINT64_MAX;

/* Recurses with a big frame until the boot stack runs into its guard
 * page. The frame use after the call keeps this from becoming a loop. */
__attribute__((noinline)) static uint64_t overflow_stack(uint64_t depth)
{
    volatile uint8_t frame[512];

    frame[0] = (uint8_t)depth;
    if (depth >= recursion_limit)
        return frame[0];
    return overflow_stack(depth + 1) + frame[0];
}

/* Raises the exception for fault; returns only for FAULT_NONE. A fault
 * that did not happen is itself a failure. */
void x86_inject_fault(enum cmdline_fault fault)
{
    if (fault == FAULT_NONE)
        return;
    kprintf("FeuerBird: injecting fault=%s\n", cmdline_fault_name(fault));
    switch (fault) {
    case FAULT_DE:
        kprintf("%u\n", dividend / zero_divisor);
        break;
    case FAULT_BP:
        __asm__ volatile("int3");
        break;
    case FAULT_UD:
        __asm__ volatile("ud2");
        break;
    case FAULT_GP:
        /* Bit 63 set, bits 62-47 clear: not canonical. */
        kprintf("%lu\n", *(volatile uint64_t *)0x8000000000000000ull);
        break;
    case FAULT_PF:
        /* The kernel's lower half is empty: nothing is mapped here. */
        *(volatile uint32_t *)0xdead0000ull = 1;
        break;
    case FAULT_GUARD:
        kprintf("%lu\n", overflow_stack(0));
        break;
    case FAULT_NONE:
        return;
    }
    kprintf("FeuerBird: fault=%s did not fault\n", cmdline_fault_name(fault));
    hal_halt(HAL_EXIT_FAILURE);
}
