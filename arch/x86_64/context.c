/* Kernel execution contexts: a context is its saved stack pointer, a
 * flag saying it uses the FPU, its kernel stack top (where its traps from
 * user mode land) and its FXSAVE area; the stack holds the callee-saved
 * registers that context.S pops. A new context's stack is laid out so the
 * first switch "returns" into x86_context_trampoline, which calls
 * entry(arg). Also the #NM side of the lazy FPU state. */
#include <stdint.h>

#include "arch.h"
#include "hal/context.h"
#include "hal/panic.h"
#include "kerr.h"
#include "kstring.h"
#include "x86.h"

#define MIN_STACK 4096u
#define FCW_DEFAULT   0x037Fu   /* x87: all exceptions masked, 64-bit precision (FNINIT's) */
#define MXCSR_DEFAULT 0x1F80u   /* all SIMD exceptions masked, round to nearest */
#define FX_MXCSR      24        /* byte offset of MXCSR in the FXSAVE image */

/* hal_context_t.opaque: RSP at X86_CTX_RSP, FPU-user flag at X86_CTX_FPU,
 * kernel stack top at X86_CTX_KSTACK (0 in a boot context, which never
 * runs user code), the 512-byte FXSAVE area (16-byte aligned) at X86_CTX_FX. */
_Static_assert(X86_CTX_FX + X86_FX_BYTES <= HAL_CONTEXT_BYTES, "context too small");
_Static_assert(X86_CTX_FX % 16 == 0 && _Alignof(hal_context_t) >= 16, "FXSAVE needs 16 bytes");

/* The clean FPU/SSE state every context starts from: what FNINIT and
 * the default MXCSR give, with every x87 and XMM register zero, so no
 * register contents leak from the previous FPU user. */
static const uint8_t fx_clean[X86_FX_BYTES] __attribute__((aligned(16))) = {
    [0] = FCW_DEFAULT & 0xFF, [1] = FCW_DEFAULT >> 8,
    [FX_MXCSR] = MXCSR_DEFAULT & 0xFF, [FX_MXCSR + 1] = MXCSR_DEFAULT >> 8,
};

/* #NM with CR0.TS set: the running context uses the FPU for the first
 * time (it was switched to without FPU state). It gets the clean state
 * and is an FPU user from now on: context.S saves its registers at every
 * switch away and restores them at every switch back. Interrupts off. */
void x86_fpu_first_use(void)
{
    x86_this_cpu()->fpu_live = 1;
    __asm__ volatile("clts; fxrstorq %0" : : "m"(*(const uint8_t(*)[X86_FX_BYTES])fx_clean)
                     : "memory");
}

/* hal_user_enter: user code starts from the clean state. A context that
 * has no live FPU state gets it at its first use (#NM); one that has
 * (kernel code before it never uses SSE, but a thread may have) is reset
 * here, so nothing of it reaches user mode. Interrupts off. */
void x86_fpu_clean(void)
{
    if (x86_this_cpu()->fpu_live)
        __asm__ volatile("fxrstorq %0" : : "m"(*(const uint8_t(*)[X86_FX_BYTES])fx_clean)
                         : "memory");
}

void x86_context_trampoline(void);
_Noreturn void x86_context_returned(void);

/* Called by the trampoline when an entry function returned. */
_Noreturn void x86_context_returned(void)
{
    hal_panic("context entry function returned");
}

/* Builds the initial frame: r15, r14, r13 = arg, r12 = entry, rbx, rbp = 0,
 * then the trampoline as return address at a 16-byte-aligned top - 8, so
 * that entry starts with the stack alignment the ABI promises. */
int hal_context_init(hal_context_t *ctx, void *stack, size_t stack_size,
                     hal_context_entry_fn entry, void *arg)
{
    uintptr_t top;
    uint64_t *frame;
    uint64_t rsp;

    if (ctx == NULL || stack == NULL || entry == NULL || stack_size < MIN_STACK)
        return FB_EINVAL;
    top = ((uintptr_t)stack + stack_size) & ~(uintptr_t)15;
    frame = (uint64_t *)(top - 8 * 7);
    frame[0] = 0;                                   /* r15 */
    frame[1] = 0;                                   /* r14 */
    frame[2] = (uint64_t)(uintptr_t)arg;            /* r13 */
    frame[3] = (uint64_t)(uintptr_t)entry;          /* r12 */
    frame[4] = 0;                                   /* rbx */
    frame[5] = 0;                                   /* rbp: ends frame-pointer walks */
    frame[6] = (uint64_t)(uintptr_t)x86_context_trampoline;
    rsp = (uint64_t)(uintptr_t)frame;
    kmemset(ctx->opaque, 0, X86_CTX_FX);                /* not an FPU user yet */
    kmemcpy(ctx->opaque + X86_CTX_RSP, &rsp, sizeof(rsp));
    kmemcpy(ctx->opaque + X86_CTX_KSTACK, &top, sizeof(top));
    return FB_OK;
}
