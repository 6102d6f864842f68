/* Spinlocks for core/: a test-and-test-and-set lock, plus the variant
 * that also disables interrupts on the calling CPU, which every lock an
 * interrupt handler may take must use (else the handler spins forever on
 * a lock its own CPU holds). Not recursive. */
#ifndef FB_SPINLOCK_H
#define FB_SPINLOCK_H

#include <stdatomic.h>
#include <stdbool.h>

#include "hal/cpu.h"
#include "hal/irq.h"

/** A spinlock; zero-initialized (SPINLOCK_INIT) means unlocked. */
typedef struct spinlock {
    atomic_uint locked;   /**< 0 free, 1 held */
} spinlock_t;

#define SPINLOCK_INIT { 0 }

/** Tries once to take @p l. @return true when taken. */
static inline bool spin_trylock(spinlock_t *l)
{
    /* acquire: everything the previous holder wrote before its release
     * is visible once we own the lock. */
    return atomic_exchange_explicit(&l->locked, 1, memory_order_acquire) == 0;
}

/** Takes @p l, spinning on plain loads (no cache-line ping-pong) until it
 *  looks free. */
static inline void spin_lock(spinlock_t *l)
{
    while (!spin_trylock(l)) {
        /* relaxed: only a hint that a retry may succeed; the exchange
         * above is what orders. */
        while (atomic_load_explicit(&l->locked, memory_order_relaxed) != 0)
            hal_cpu_relax();
    }
}

/** Releases @p l. */
static inline void spin_unlock(spinlock_t *l)
{
    /* release: our writes inside the section happen before the next
     * holder's acquire. */
    atomic_store_explicit(&l->locked, 0, memory_order_release);
}

/** Disables interrupts on this CPU, then takes @p l.
 *  @return the interrupt state for spin_unlock_irqrestore. */
static inline hal_irq_state_t spin_lock_irqsave(spinlock_t *l)
{
    hal_irq_state_t s = hal_irq_disable();

    spin_lock(l);
    return s;
}

/** Releases @p l, then restores the interrupt state @p s. */
static inline void spin_unlock_irqrestore(spinlock_t *l, hal_irq_state_t s)
{
    spin_unlock(l);
    hal_irq_restore(s);
}

/** True while someone holds @p l (for assertions only). */
static inline bool spin_is_locked(spinlock_t *l)
{
    /* relaxed: a snapshot for checks, not for synchronization. */
    return atomic_load_explicit(&l->locked, memory_order_relaxed) != 0;
}

#endif
