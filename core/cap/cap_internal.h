/* Private to core/cap: the slot stamp encoding, the consistent snapshot
 * of one capability, and slot recycling shared by table.c and cap.c. */
#ifndef FB_CAP_INTERNAL_H
#define FB_CAP_INTERNAL_H

#include "cap.h"

/* Slot states, the low two bits of the stamp. */
#define SLOT_FREE     0u
#define SLOT_RESERVED 1u
#define SLOT_LIVE     2u
#define SLOT_RETIRED  3u

#define STAMP_STATE_MASK  ((uint64_t)3)
#define STAMP_EPOCH_ONE   ((uint64_t)1 << 2)
#define STAMP_GEN_MASK    (~(uint64_t)0 << 32)
/* The bits that say whose fields a slot holds: generation and state. */
#define STAMP_OWNER_MASK  (STAMP_GEN_MASK | STAMP_STATE_MASK)

#define CAP_EPOCH_MAX ((1u << 30) - 1)
#define CAP_GEN_FIRST 1u
#define CAP_GEN_LAST  0x7fffffffu   /* handles stay positive as int64_t (syscall results) */
/* Free-list end marker; capacities stop at CAP_TABLE_MAX below it. */
#define CAP_NIL UINT32_MAX
/* Slots the incremental sweep examines per allocation. */
#define CAP_SWEEP_STEP 2u

static inline uint32_t stamp_gen(uint64_t s) { return (uint32_t)(s >> 32); }
static inline uint32_t stamp_epoch(uint64_t s) { return (uint32_t)s >> 2; }
static inline unsigned stamp_state(uint64_t s) { return (unsigned)(s & STAMP_STATE_MASK); }
static inline uint64_t stamp_make(uint32_t gen, uint32_t epoch, unsigned state)
{
    return (uint64_t)gen << 32 | (uint64_t)epoch << 2 | state;
}

static inline cap_handle_t handle_make(uint32_t gen, uint32_t index)
{
    return (cap_handle_t)gen << 32 | index;
}

/* meta word: type 63..48, level 47..40, depth 39..32, rights 31..0 */
static inline uint64_t meta_make(uint16_t type, uint8_t level, uint8_t depth, cap_rights_t rights)
{
    return (uint64_t)type << 48 | (uint64_t)level << 40 | (uint64_t)depth << 32 | rights;
}
static inline uint16_t meta_type(uint64_t m) { return (uint16_t)(m >> 48); }
static inline uint8_t meta_level(uint64_t m) { return (uint8_t)(m >> 40); }
static inline uint8_t meta_depth(uint64_t m) { return (uint8_t)(m >> 32); }
static inline cap_rights_t meta_rights(uint64_t m) { return (cap_rights_t)m; }

/* One capability's fields, all read under one unchanged stamp. */
struct cap_snap {
    uint64_t stamp;
    uint64_t parent_stamp;
    const struct cap_slot *parent_slot;
    uint64_t meta;
    uint64_t object;
    uint64_t cats;
    uint64_t created_ns;
    struct cap_table *parent_table;
};

static inline fb_label_t snap_label(const struct cap_snap *s)
{
    fb_label_t l = { .cats = s->cats, .level = meta_level(s->meta) };
    return l;
}

/* The parent's handle, rebuilt from its slot and expected stamp. */
static inline cap_handle_t snap_parent(const struct cap_snap *s)
{
    if (s->parent_slot == NULL)
        return CAP_HANDLE_NONE;
    return handle_make(stamp_gen(s->parent_stamp),
                       (uint32_t)(s->parent_slot - s->parent_table->slots));
}

/* Reads @h's slot into @s and checks every ancestor link: FB_OK, or the
 * error cap_verify documents. Lock-free. */
int cap_snapshot(const struct cap_table *t, cap_handle_t h, struct cap_snap *s);

/* Copies snapshot @s of handle @h into the public form. */
void cap_info_fill(cap_handle_t h, const struct cap_snap *s, struct cap_info *out);

/* The error for a handle of generation @gen against a slot stamp that
 * does not hold it live. */
int cap_stamp_error(uint64_t stamp, uint32_t gen);

/* Frees slot @index if its stamp still equals @seen: advances the
 * generation (or retires the slot when it is exhausted) and pushes it on
 * the free list. False when the stamp changed meanwhile. */
bool cap_slot_free(struct cap_table *t, uint32_t index, uint64_t seen);

#endif
