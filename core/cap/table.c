/* The capability table: slot storage, the lock-free free list, lazy
 * reclamation of revoked capabilities' slots, and the invariant checker. */
#include "cap_internal.h"

/* Table ids start at 1 and are never reused within a boot; tokens bind
 * them, so a token minted by one table is refused by every other. */
static _Atomic uint32_t next_table_id = 1;

size_t cap_table_bytes(uint32_t capacity)
{
    return (size_t)capacity * sizeof(struct cap_slot);
}

static uint64_t head_make(uint32_t tag, uint32_t index)
{
    return (uint64_t)tag << 32 | index;
}

/* Treiber-stack push. The tag in the head's top half changes on every
 * push and pop, so a pop that read a stale next link fails its CAS
 * (ABA-safe) even if the same index is back on top. */
static void freelist_push(struct cap_table *t, uint32_t index)
{
    /* relaxed: the CAS below reloads on failure; its release orders the
     * next_free store (and the freeing stamp CAS) before the slot becomes
     * visible to a popper. */
    uint64_t old = atomic_load_explicit(&t->free_head, memory_order_relaxed);
    uint64_t new;

    /* release fence: next_free shares its word with parent_stamp, which
     * lock-free readers may still load; one that sees the link also sees
     * the stamp change that freed the slot (see read_slot in cap.c). */
    atomic_thread_fence(memory_order_release);
    do {
        atomic_store_explicit(&t->slots[index].next_free, (uint32_t)old, memory_order_relaxed);
        new = head_make((uint32_t)(old >> 32) + 1, index);
    } while (!atomic_compare_exchange_weak_explicit(&t->free_head, &old, new, memory_order_release,
                                                    memory_order_relaxed));
}

/* Treiber-stack pop; false when the list is empty. */
static bool freelist_pop(struct cap_table *t, uint32_t *index)
{
    /* acquire: pairs with the pusher's release, so the next link and the
     * slot's new generation are visible once we own the slot. */
    uint64_t old = atomic_load_explicit(&t->free_head, memory_order_acquire);
    uint64_t new;
    uint32_t top, next;

    do {
        top = (uint32_t)old;
        if (top == CAP_NIL)
            return false;
        /* relaxed: may read a link rewritten by a racing pop+push; the
         * tag makes the CAS fail in that case. */
        next = (uint32_t)atomic_load_explicit(&t->slots[top].next_free, memory_order_relaxed);
        new = head_make((uint32_t)(old >> 32) + 1, next);
    } while (!atomic_compare_exchange_weak_explicit(&t->free_head, &old, new, memory_order_acquire,
                                                    memory_order_acquire));
    *index = top;
    return true;
}

/* The stamp a slot of stamp @st gets when its capability goes away: the
 * next generation, free; or retired when the generation is exhausted, so
 * no old handle can ever match it again. */
static uint64_t stamp_freed(uint64_t st)
{
    uint32_t gen = stamp_gen(st);

    return gen == CAP_GEN_LAST ? stamp_make(gen, 0, SLOT_RETIRED) : stamp_make(gen + 1, 0, SLOT_FREE);
}

bool cap_slot_free(struct cap_table *t, uint32_t index, uint64_t seen)
{
    uint64_t next = stamp_freed(seen);

    /* seq_cst: this is the linearization point of a delete; every later
     * ancestor walk through this slot sees the new generation. */
    if (!atomic_compare_exchange_strong(&t->slots[index].stamp, &seen, next))
        return false;
    if (stamp_state(next) == SLOT_FREE)
        freelist_push(t, index);
    return true;
}

/* Frees slot @index when it holds a live-looking capability one of
 * whose ancestors is gone. */
static void sweep_slot(struct cap_table *t, uint32_t index)
{
    struct cap_snap s;
    uint64_t st = atomic_load_explicit(&t->slots[index].stamp, memory_order_acquire);

    if (stamp_state(st) != SLOT_LIVE)
        return;
    if (cap_snapshot(t, handle_make(stamp_gen(st), index), &s) != FB_EREVOKED)
        return;
    /* Death is permanent (ancestor stamps only move forward), so freeing
     * on a stamp still equal to what the walk saw is safe. */
    if (cap_slot_free(t, index, s.stamp))
        atomic_fetch_add_explicit(&t->reclaimed, 1, memory_order_relaxed); /* a statistic */
}

/* The incremental sweep: a few slots per allocation, so dead slots come
 * back within capacity / CAP_SWEEP_STEP allocations even if nobody
 * touches them. */
static void sweep_some(struct cap_table *t)
{
    for (uint32_t i = 0; i < CAP_SWEEP_STEP; i++) {
        /* relaxed: the cursor only spreads the work; any interleaving is fine. */
        uint32_t c = atomic_fetch_add_explicit(&t->sweep_cursor, 1, memory_order_relaxed);
        sweep_slot(t, c % t->capacity);
    }
}

int cap_table_init(struct cap_table *t, struct cap_slot *slots, uint32_t capacity,
                   fb_label_t clearance)
{
    if (t == NULL || slots == NULL || capacity == 0 || capacity > CAP_TABLE_MAX)
        return FB_EINVAL;
    if (((uintptr_t)slots & (sizeof(struct cap_slot) - 1)) != 0 || !lattice_valid(clearance))
        return FB_EINVAL;
    t->slots = slots;
    t->capacity = capacity;
    /* relaxed: only uniqueness matters. */
    t->id = atomic_fetch_add_explicit(&next_table_id, 1, memory_order_relaxed);
    t->clearance = clearance;
    for (uint32_t i = 0; i < capacity; i++) {
        struct cap_slot *s = &slots[i];
        atomic_init(&s->stamp, stamp_make(CAP_GEN_FIRST, 0, SLOT_FREE));
        atomic_init(&s->next_free, i + 1 < capacity ? i + 1 : CAP_NIL);
        atomic_init(&s->parent_slot, NULL);
        atomic_init(&s->meta, 0);
        atomic_init(&s->object, 0);
        atomic_init(&s->cats, 0);
        atomic_init(&s->created_ns, 0);
        atomic_init(&s->parent_table, NULL);
    }
    atomic_init(&t->free_head, head_make(0, 0));
    atomic_init(&t->sweep_cursor, 0);
    atomic_init(&t->reclaimed, 0);
    return FB_OK;
}

void cap_table_reset(struct cap_table *t)
{
    uint32_t first = CAP_NIL;

    if (t == NULL)
        return;
    for (uint32_t i = t->capacity; i-- > 0;) {
        struct cap_slot *s = &t->slots[i];
        uint64_t st = atomic_load_explicit(&s->stamp, memory_order_relaxed);

        if (stamp_state(st) == SLOT_LIVE || stamp_state(st) == SLOT_RESERVED) {
            st = stamp_freed(st);
            /* seq_cst: other tables' walks read this stamp concurrently. */
            atomic_store(&s->stamp, st);
        }
        if (stamp_state(st) == SLOT_FREE) {
            /* relaxed: a walker reading this word as parent_stamp after
             * the seq_cst stamp store above fails its re-check; and a
             * link value (below 2^32) never equals a live stamp. */
            atomic_store_explicit(&s->next_free, first, memory_order_relaxed);
            first = i;
        }
    }
    /* release: publishes the rebuilt links to the next popper. */
    uint64_t old = atomic_load_explicit(&t->free_head, memory_order_relaxed);
    atomic_store_explicit(&t->free_head, head_make((uint32_t)(old >> 32) + 1, first),
                          memory_order_release);
}

int cap_table_alloc(struct cap_table *t, uint32_t *index)
{
    uint32_t i;

    if (t == NULL || index == NULL)
        return FB_EINVAL;
    sweep_some(t);
    for (int pass = 0; pass < 2; pass++) {
        if (freelist_pop(t, &i)) {
            struct cap_slot *s = &t->slots[i];
            uint64_t st = atomic_load_explicit(&s->stamp, memory_order_relaxed);
            /* relaxed: the slot is ours alone; only the checker reads it. */
            atomic_store_explicit(&s->stamp, stamp_make(stamp_gen(st), 0, SLOT_RESERVED),
                                  memory_order_relaxed);
            *index = i;
            return FB_OK;
        }
        if (pass == 0)
            for (uint32_t j = 0; j < t->capacity; j++)
                sweep_slot(t, j);
    }
    return FB_ENOSPC;
}

int cap_table_release(struct cap_table *t, uint32_t index)
{
    if (t == NULL || index >= t->capacity)
        return FB_EINVAL;
    uint64_t st = atomic_load_explicit(&t->slots[index].stamp, memory_order_relaxed);
    if (stamp_state(st) != SLOT_RESERVED)
        return FB_EINVAL;
    /* Never published, so the generation need not advance. */
    atomic_store_explicit(&t->slots[index].stamp, stamp_make(stamp_gen(st), 0, SLOT_FREE),
                          memory_order_relaxed);
    freelist_push(t, index);
    return FB_OK;
}

/* Well-formedness of one live slot against its parent, when the parent
 * is still there. */
static bool slot_well_formed(const struct cap_table *t, const struct cap_snap *s)
{
    uint8_t depth = meta_depth(s->meta);
    struct cap_snap p;

    if (meta_type(s->meta) == 0 || !rights_valid(meta_rights(s->meta)) ||
        !lattice_valid(snap_label(s)) || depth > CAP_MAX_DEPTH)
        return false;
    if (!lattice_leq(snap_label(s), t->clearance))
        return false;
    if (s->parent_slot == NULL)
        return depth == 0 && s->parent_table == NULL;
    if (depth == 0 || s->parent_table == NULL || s->parent_slot < s->parent_table->slots ||
        s->parent_slot >= s->parent_table->slots + s->parent_table->capacity)
        return false;
    if (cap_snapshot(s->parent_table, snap_parent(s), &p) != FB_OK)
        return true; /* parent gone: nothing to compare against */
    return rights_leq(meta_rights(s->meta), meta_rights(p.meta)) &&
           lattice_leq(snap_label(&p), snap_label(s)) && depth == meta_depth(p.meta) + 1 &&
           meta_type(s->meta) == meta_type(p.meta) && s->object == p.object;
}

int cap_table_check(const struct cap_table *t, struct cap_table_stats *stats,
                    uint32_t *bad_index)
{
    struct cap_table_stats st = { 0 };
    uint32_t bad = CAP_NIL, listed = 0;

    if (t == NULL)
        return FB_EINVAL;
    for (uint32_t i = 0; i < t->capacity && bad == CAP_NIL; i++) {
        uint64_t stamp = atomic_load_explicit(&t->slots[i].stamp, memory_order_acquire);
        struct cap_snap s;

        switch (stamp_state(stamp)) {
        case SLOT_FREE: st.free++; break;
        case SLOT_RESERVED: st.reserved++; break;
        case SLOT_RETIRED: st.retired++; break;
        default:
            switch (cap_snapshot(t, handle_make(stamp_gen(stamp), i), &s)) {
            case FB_OK:
                st.live++;
                if (!slot_well_formed(t, &s))
                    bad = i;
                break;
            case FB_EREVOKED: st.dead++; break;
            default: bad = i; break;
            }
        }
    }
    /* The free list: acyclic (at most capacity nodes), only free slots,
     * and as many nodes as free slots, so each free slot exactly once. */
    uint64_t head = atomic_load_explicit(&t->free_head, memory_order_acquire);
    for (uint32_t i = (uint32_t)head; i != CAP_NIL && bad == CAP_NIL;
         i = (uint32_t)atomic_load_explicit(&t->slots[i].next_free, memory_order_relaxed)) {
        if (i >= t->capacity || ++listed > st.free ||
            stamp_state(atomic_load_explicit(&t->slots[i].stamp, memory_order_relaxed)) != SLOT_FREE)
            bad = i < t->capacity ? i : 0;
    }
    if (bad == CAP_NIL && listed != st.free)
        bad = 0;
    st.reclaimed = atomic_load_explicit(&t->reclaimed, memory_order_relaxed);
    if (stats != NULL)
        *stats = st;
    if (bad_index != NULL)
        *bad_index = bad == CAP_NIL ? 0 : bad;
    return bad == CAP_NIL ? FB_OK : FB_EINVAL;
}
