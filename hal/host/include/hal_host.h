/* Host-only controls of the pthread HAL: simulated CPUs are threads and
 * physical memory is one simulated RAM region. Tests, fuzzers and benches
 * use this header; core/ never includes it.
 *
 * How the host HAL fills in the contract where hardware would decide:
 * - Timer: one timer thread serves every CPU's one-shot and runs the
 *   callback as the arming CPU (hal_cpu_id() is that CPU, interrupts read
 *   as disabled). A shot that comes due while that CPU has interrupts
 *   disabled is held and delivered on the CPU's own thread by the
 *   hal_irq_restore that re-enables them. Re-arming or cancelling also
 *   withdraws a held shot. hal_irq_disable, hal_timer_oneshot and
 *   hal_timer_cancel called from a CPU's thread first wait for a callback
 *   of that CPU that is running, as the CPU would not run on until its
 *   handler returned. Enabling interrupts inside a callback panics: nested
 *   interrupts are not simulated. Callbacks of all CPUs share one thread,
 *   so they must be short, as interrupt handlers are.
 * - Resched hook, idle and kicks: a delivered shot, a hal_cpu_kick or a
 *   device line marks its CPU; the hook (hal_irq_set_resched_hook) runs on
 *   that CPU's own thread at its next hal_irq_restore that re-enables
 *   interrupts, or in hal_cpu_idle, which sleeps (interrupts enabled)
 *   until the CPU is marked. A CPU that never re-enables interrupts or
 *   idles is never preempted: host code preempts only at such points.
 * - hal_timer_ticks is computed, not counted: whole 10 ms periods since
 *   process start.
 * - Address spaces keep their mappings in a hash map in malloc memory.
 *   With a frame source set, they also take frames as a 4-level x86_64
 *   tree would (the root at create, a PDPT, PD or PT on the first map in
 *   its range, all returned at destroy, none on unmap), so running out of
 *   frames gives FB_ENOMEM as on hardware. hal_aspace_query returns the
 *   frame plus the offset of va within its page.
 * - User copies check the whole range before moving a byte, so a failed
 *   copy leaves both buffers untouched (core must not rely on this).
 * - Contexts are ucontext_t and must not move once initialized.
 * - Console input is what hal_host_console_feed queued (a bounded FIFO,
 *   like a UART's receiver); user mode is simulated (hal_host_user.h). */
#ifndef HAL_HOST_H
#define HAL_HOST_H

#include <stddef.h>
#include <stdint.h>

/** Most simulated CPUs the host HAL supports. */
#define HAL_HOST_MAX_CPUS 64u

/** Simulated physical address of the first byte of simulated RAM. */
#define HAL_HOST_RAM_BASE 0x100000ull
/** Bytes of simulated RAM: [HAL_HOST_RAM_BASE, HAL_HOST_RAM_BASE + this). */
#define HAL_HOST_RAM_SIZE (64ull << 20)

/**
 * Sets how many CPUs hal_cpu_count() reports (1 .. HAL_HOST_MAX_CPUS).
 * The main thread is always CPU 0; CPUs 1 .. @p n - 1 may be started.
 * @return FB_OK; FB_EINVAL for 0 or more than HAL_HOST_MAX_CPUS;
 *         FB_EBUSY when a started CPU has an index >= @p n.
 */
int hal_host_set_cpu_count(unsigned n);

/**
 * Starts simulated CPU @p cpu: a new thread whose hal_cpu_id() is @p cpu
 * and whose simulated interrupts start enabled, running @p fn(@p arg).
 * @return FB_OK; FB_EINVAL when @p fn is NULL, @p cpu is 0 (the main
 *         thread) or @p cpu >= hal_cpu_count(); FB_EBUSY when that CPU
 *         was started and not joined yet; FB_ENOMEM when no thread could
 *         be created.
 */
int hal_host_cpu_start(unsigned cpu, void (*fn)(void *), void *arg);

/**
 * Waits until the thread of simulated CPU @p cpu returns; the CPU can then
 * be started again. @return FB_OK; FB_EINVAL for CPU 0 or an index out
 * of range; FB_ENOENT when that CPU is not started; FB_EBUSY when another
 * join of it is already waiting.
 */
int hal_host_cpu_join(unsigned cpu);

/** Bytes of console input the host HAL holds until hal_console_read. */
#define HAL_HOST_CONSOLE_INPUT 4096u

/**
 * Queues @p n bytes of @p s as console input for hal_console_read, in
 * order. Bytes beyond HAL_HOST_CONSOLE_INPUT pending are dropped, as a
 * UART's receiver drops them on overrun. Any thread.
 */
void hal_host_console_feed(const char *s, size_t n);

#endif
