/* HAL contract: execution contexts (kernel threads) and switching. */
#ifndef HAL_CONTEXT_H
#define HAL_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

/** Bytes reserved for one saved context; large enough for every HAL. */
#define HAL_CONTEXT_BYTES 1536

/** Saved register state; its layout belongs to the HAL. */
typedef struct hal_context {
    _Alignas(16) unsigned char opaque[HAL_CONTEXT_BYTES]; /**< HAL-private */
} hal_context_t;

/** Entry function of a new context. It must never return. */
typedef void (*hal_context_entry_fn)(void *arg);

/**
 * Prepares @p ctx so that switching to it runs @p entry(@p arg) on the
 * stack [@p stack, @p stack + @p stack_size). Thread context.
 * @return FB_OK; FB_EINVAL for NULL arguments or a stack under 4 KiB.
 */
int hal_context_init(hal_context_t *ctx, void *stack, size_t stack_size,
                     hal_context_entry_fn entry, void *arg);

/**
 * Saves the current state into @p from and resumes @p to. Returns when
 * something later switches back to @p from. Call with interrupts disabled.
 */
void hal_context_switch(hal_context_t *from, hal_context_t *to);

#endif
