/* HAL contract: stopping the machine. */
#ifndef HAL_PANIC_H
#define HAL_PANIC_H

/** Exit codes passed to hal_halt. Under QEMU with isa-debug-exit the
 *  process exit status becomes (code << 1) | 1: 33 for success, 35 for
 *  failure. */
#define HAL_EXIT_SUCCESS 0x10
#define HAL_EXIT_FAILURE 0x11

/**
 * Prints "PANIC: <msg>" on the console and stops with HAL_EXIT_FAILURE.
 * Any context. Host: prints to stderr and calls abort().
 */
_Noreturn void hal_panic(const char *msg);

/**
 * Stops the machine with @p code (HAL_EXIT_*). x86_64: writes @p code to
 * the isa-debug-exit port, then halts with interrupts off forever (real
 * hardware has no such port). Host: exit(code == HAL_EXIT_SUCCESS ? 0 : 1).
 */
_Noreturn void hal_halt(int code);

#endif
