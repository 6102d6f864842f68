/* Host execution contexts: ucontext_t (getcontext/makecontext/swapcontext)
 * kept inside hal_context_t, with the stack-switch notes ASan and TSan
 * need to follow a switch. A context holds pointers into itself, so it
 * must stay where it was initialized (a copy is not a context). Under TSan
 * each initialized context owns a TSan fiber that is never released: the
 * contract has no destroy call. */
#include <stdint.h>
#include <ucontext.h>

#include "hal/context.h"
#include "hal/panic.h"
#include "kerr.h"

#if defined(__SANITIZE_ADDRESS__)
#define HOST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HOST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define HOST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HOST_TSAN 1
#endif
#endif

#ifdef HOST_ASAN
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef HOST_TSAN
#include <sanitizer/tsan_interface.h>
#endif

/* What hal_context_t.opaque holds on the host. */
struct host_context {
    ucontext_t uc;
    hal_context_entry_fn entry;
    void *arg;
#ifdef HOST_ASAN
    void *fake_stack;            /* ASan's saved fake stack of this context */
    const void *stack_bottom;    /* this context's stack, for ASan */
    size_t stack_size;
#endif
#ifdef HOST_TSAN
    void *fiber;                 /* TSan's view of this context */
#endif
};

_Static_assert(sizeof(struct host_context) <= HAL_CONTEXT_BYTES,
               "host context must fit HAL_CONTEXT_BYTES");
_Static_assert(_Alignof(struct host_context) <= _Alignof(hal_context_t),
               "host context must not need more alignment than hal_context_t");

#ifdef HOST_ASAN
/* The context the calling thread last switched away from; the context that
 * resumes records that stack's bounds there for the switch back. */
static _Thread_local struct host_context *asan_switched_from;
#endif

/* The host layout inside the opaque bytes of a hal_context_t. */
static struct host_context *host_ctx(hal_context_t *ctx)
{
    return (struct host_context *)(void *)ctx->opaque;
}

/* Tells the sanitizers that this thread is about to leave from for to. */
static void san_leave(struct host_context *from, struct host_context *to)
{
#ifdef HOST_ASAN
    asan_switched_from = from;
    __sanitizer_start_switch_fiber(&from->fake_stack, to->stack_bottom, to->stack_size);
#endif
#ifdef HOST_TSAN
    from->fiber = __tsan_get_current_fiber();
    __tsan_switch_to_fiber(to->fiber, 0);
#endif
    (void)from;
    (void)to;
}

/* Tells ASan the switch into self is complete (self->fake_stack is NULL on
 * a context's first run) and remembers the stack we came from. */
static void san_arrive(struct host_context *self)
{
#ifdef HOST_ASAN
    __sanitizer_finish_switch_fiber(self->fake_stack, &asan_switched_from->stack_bottom,
                                    &asan_switched_from->stack_size);
#endif
    (void)self;
}

/* First code of every new context: makecontext passes only ints, so the
 * context pointer arrives as two 32-bit halves. Entry must not return. */
static void context_trampoline(unsigned hi, unsigned lo)
{
    struct host_context *self = (struct host_context *)(((uintptr_t)hi << 32) | lo);

    san_arrive(self);
    self->entry(self->arg);
    hal_panic("context entry returned");
}

/* Prepares ctx to run entry(arg) on [stack, stack + stack_size). */
int hal_context_init(hal_context_t *ctx, void *stack, size_t stack_size,
                     hal_context_entry_fn entry, void *arg)
{
    struct host_context *hc;
    uintptr_t self;

    if (ctx == NULL || stack == NULL || entry == NULL || stack_size < 4096)
        return FB_EINVAL;
    hc = host_ctx(ctx);
    if (getcontext(&hc->uc) != 0)
        hal_panic("hal_context_init: getcontext failed");
    hc->uc.uc_stack.ss_sp = stack;
    hc->uc.uc_stack.ss_size = stack_size;
    hc->uc.uc_link = NULL;
    hc->entry = entry;
    hc->arg = arg;
#ifdef HOST_ASAN
    hc->fake_stack = NULL;
    hc->stack_bottom = stack;
    hc->stack_size = stack_size;
#endif
#ifdef HOST_TSAN
    hc->fiber = __tsan_create_fiber(0);
#endif
    self = (uintptr_t)hc;
    makecontext(&hc->uc, (void (*)(void))context_trampoline, 2,
                (unsigned)(self >> 32), (unsigned)(self & 0xffffffffu));
    return FB_OK;
}

/* Saves the running state into from and resumes to. */
void hal_context_switch(hal_context_t *from, hal_context_t *to)
{
    struct host_context *f = host_ctx(from);
    struct host_context *t = host_ctx(to);

    san_leave(f, t);
    if (swapcontext(&f->uc, &t->uc) != 0)
        hal_panic("hal_context_switch: swapcontext failed");
    san_arrive(f);
}
