/* Time: the TSC, calibrated against PIT channel 2, gives
 * hal_read_timestamp in nanoseconds; the same window calibrates the
 * LAPIC timer that lapic.c uses for one-shots. */
#include <stdint.h>

#include "arch.h"
#include "hal/panic.h"
#include "hal/timestamp.h"
#include "x86.h"

#define PIT_CH2_DATA 0x42
#define PIT_CMD      0x43
#define PORT_B       0x61   /* bit 0: ch2 gate, bit 1: speaker, bit 5: ch2 output */
#define CAL_PIT_TICKS 11932u /* 10 ms window */
#define CAL_MAX_POLLS 10000000u /* a PIT that never counts is a fatal error */

static uint64_t tsc_hz;
/* ns = (tsc * ns_mult) >> 32. Written once at boot before interrupts are
 * on or a second CPU runs, so plain loads are enough. 0 until calibrated. */
static uint64_t ns_mult;

/* Runs PIT channel 2 in one-shot mode for CAL_PIT_TICKS and returns the
 * TSC cycles that passed; the LAPIC count runs over the same window. */
static uint64_t measure_window(void)
{
    uint8_t b = inb(PORT_B);
    uint64_t t0, t1;
    uint32_t polls = 0;

    outb(PORT_B, (uint8_t)((b & ~0x02) | 0x01));   /* gate on, speaker off */
    outb(PIT_CMD, 0xB0);                           /* ch2, lo/hi byte, mode 0 */
    outb(PIT_CH2_DATA, CAL_PIT_TICKS & 0xFF);
    lapic_calibrate_start();
    t0 = rdtsc();
    outb(PIT_CH2_DATA, CAL_PIT_TICKS >> 8);        /* counting starts now */
    while ((inb(PORT_B) & 0x20) == 0) {
        if (++polls == CAL_MAX_POLLS)
            hal_panic("PIT channel 2 never reached its terminal count");
    }
    t1 = rdtsc();
    lapic_calibrate_finish(CAL_PIT_TICKS);
    outb(PORT_B, b);
    return t1 - t0;
}

/* Measures the TSC (and the LAPIC timer) against the PIT. */
void time_calibrate(void)
{
    uint64_t cycles = measure_window();

    if (cycles == 0)
        hal_panic("TSC does not advance");
    tsc_hz = cycles * X86_PIT_HZ / CAL_PIT_TICKS;
    ns_mult = (1000000000ull << 32) / tsc_hz;
}

/* TSC frequency found by time_calibrate. */
uint64_t time_tsc_hz(void)
{
    return tsc_hz;
}

/* Converts a TSC cycle count to nanoseconds (0 before calibration). */
uint64_t time_cycles_to_ns(uint64_t cycles)
{
    return (uint64_t)(((unsigned __int128)cycles * ns_mult) >> 32);
}

/* TSC-based nanoseconds; 0 until time_calibrate has run (early boot). */
uint64_t hal_read_timestamp(void)
{
    return time_cycles_to_ns(rdtsc());
}

/* The raw TSC. */
uint64_t hal_read_cycles(void)
{
    return rdtsc();
}
