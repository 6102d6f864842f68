/* Kernel execution contexts: a context is its saved stack pointer; the
 * stack holds the callee-saved registers that context.S pops. A new
 * context's stack is laid out so the first switch "returns" into
 * x86_context_trampoline, which calls entry(arg). */
#include <stdint.h>

#include "hal/context.h"
#include "hal/panic.h"
#include "kerr.h"
#include "kstring.h"

#define MIN_STACK 4096u

/* The first quadword of hal_context_t.opaque is the saved RSP; the rest
 * of HAL_CONTEXT_BYTES is unused on x86_64. */
_Static_assert(sizeof(uint64_t) <= HAL_CONTEXT_BYTES, "context too small");

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
    kmemcpy(ctx->opaque, &rsp, sizeof(rsp));
    return FB_OK;
}
