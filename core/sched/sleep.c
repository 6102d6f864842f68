/* Timed sleep: sleepers block on one wait queue; the timer tick wakes
 * them all once the earliest deadline has passed, and each sleeper whose
 * own deadline is still ahead goes back to sleep, re-announcing it. One
 * queue keeps this short; sleeps are rare next to the tick. */
#include <stdatomic.h>
#include <stdint.h>

#include "exo_sched.h"
#include "hal/timer.h"
#include "hal/timestamp.h"
#include "kerr.h"
#include "sched_internal.h"

static struct sched_waitq sleepers = { .lock = SPINLOCK_INIT };
/* The earliest deadline of any sleeper; UINT64_MAX: none known. */
static _Atomic uint64_t earliest = UINT64_MAX;

/* Wait condition: the deadline passed. Otherwise lowers `earliest` to it
 * (under the wait queue's lock, before blocking, so no tick can miss it). */
static bool deadline_passed(void *arg)
{
    uint64_t deadline = *(const uint64_t *)arg;
    uint64_t cur;

    if (hal_read_timestamp() >= deadline)
        return true;
    /* relaxed: the wait queue's lock orders this with the tick's wake-up. */
    cur = atomic_load_explicit(&earliest, memory_order_relaxed);
    while (deadline < cur &&
           !atomic_compare_exchange_weak_explicit(&earliest, &cur, deadline,
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
    return false;
}

/* Blocks the calling thread for at least ns nanoseconds (to the next
 * timer tick after that). Thread context. */
int sched_sleep_ns(uint64_t ns)
{
    uint64_t deadline = hal_read_timestamp() + ns;

    return sched_wait_event(&sleepers, deadline_passed, &deadline);
}

/* Called from every CPU's tick: wakes the sleepers when the earliest
 * deadline is due. Any context. */
void sched_sleep_tick(void)
{
    uint64_t due = atomic_load_explicit(&earliest, memory_order_relaxed);

    if (due == UINT64_MAX || hal_read_timestamp() < due)
        return;
    /* relaxed: only one CPU wins the exchange; the wake-up below takes the
     * wait queue's lock, which orders it with the sleepers' conditions. */
    if (atomic_compare_exchange_strong_explicit(&earliest, &due, UINT64_MAX,
                                                memory_order_relaxed, memory_order_relaxed))
        sched_wake_all(&sleepers);
}

/* Called by an idle CPU about to wait: arms its one-shot timer for the
 * earliest sleeper, since an idle CPU may get no other interrupt (the host
 * HAL has no periodic interrupt). Interrupts disabled. */
void sched_sleep_arm(void)
{
    uint64_t due = atomic_load_explicit(&earliest, memory_order_relaxed);
    uint64_t now = hal_read_timestamp();

    if (due != UINT64_MAX)
        hal_timer_oneshot(due > now ? due - now : 1, sched_tick, NULL);
}
