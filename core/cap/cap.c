/* Capability operations: the lock-free verify walk, attenuating
 * derivation and grant, revocation by epochs, deletion. */
#include "cap_internal.h"
#include "hal/timestamp.h"
#include "kerr.h"

int cap_stamp_error(uint64_t stamp, uint32_t gen)
{
    uint32_t now = stamp_gen(stamp);

    if (gen < now)
        return FB_ESTALE;
    if (gen > now)
        return FB_EBADCAP;
    /* Same generation: a retired slot's last capability was deleted; a
     * free or reserved slot has never issued this generation. */
    return stamp_state(stamp) == SLOT_RETIRED ? FB_ESTALE : FB_EBADCAP;
}

/* Seqlock read of one slot's fields: stamp, fields, fence, stamp again.
 * A writer recycling the slot changes the stamp before it rewrites a
 * field (release fences in publish and in the free-list push), so fields
 * that changed under us are caught by the second stamp load. Returns
 * false unless the slot held (generation @gen, live) throughout. */
static bool read_slot(const struct cap_slot *slot, uint32_t gen, struct cap_snap *s)
{
    /* acquire: pairs with publish's release store of the stamp. */
    uint64_t st = atomic_load_explicit(&slot->stamp, memory_order_acquire);

    if ((st & STAMP_OWNER_MASK) != stamp_make(gen, 0, SLOT_LIVE))
        return false;
    /* relaxed: validated by the second stamp load below. */
    s->parent_stamp = atomic_load_explicit(&slot->parent_stamp, memory_order_relaxed);
    s->parent_slot = atomic_load_explicit(&slot->parent_slot, memory_order_relaxed);
    s->meta = atomic_load_explicit(&slot->meta, memory_order_relaxed);
    s->object = atomic_load_explicit(&slot->object, memory_order_relaxed);
    s->cats = atomic_load_explicit(&slot->cats, memory_order_relaxed);
    s->created_ns = atomic_load_explicit(&slot->created_ns, memory_order_relaxed);
    s->parent_table = atomic_load_explicit(&slot->parent_table, memory_order_relaxed);
    /* acquire fence: if a relaxed load above saw a recycler's write, the
     * recycler's earlier stamp change is visible to the load below. */
    atomic_thread_fence(memory_order_acquire);
    if ((atomic_load_explicit(&slot->stamp, memory_order_relaxed) ^ st) & STAMP_OWNER_MASK)
        return false;
    s->stamp = st;
    return true;
}

/* Follows the parent links upwards. Each ancestor's stamp must still be
 * exactly what its child recorded: same generation (not deleted), same
 * epoch (not revoked), live. Links only ever break (stamps move
 * forward), so a chain found whole was whole at every earlier moment
 * since it was made, in particular when the capability's own stamp was
 * read the second time: that is where a successful verify takes effect. One
 * dependent load per level (the parent pointer); the stamps of the
 * levels can be fetched in parallel. */
static int walk_ancestors(const struct cap_snap *s)
{
    const struct cap_slot *a = s->parent_slot;
    uint64_t expect = s->parent_stamp;

    for (unsigned d = 0; a != NULL; d++) {
        if (d >= CAP_MAX_DEPTH)
            return FB_EINVAL; /* cannot happen: derive bounds the depth */
        /* acquire: pairs with publish, for the parent fields read next. */
        uint64_t st = atomic_load_explicit(&a->stamp, memory_order_acquire);
        if (st != expect)
            return FB_EREVOKED;
        /* relaxed, then the seqlock re-check of the ancestor's owner bits. */
        const struct cap_slot *next = atomic_load_explicit(&a->parent_slot, memory_order_relaxed);
        expect = atomic_load_explicit(&a->parent_stamp, memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        if ((atomic_load_explicit(&a->stamp, memory_order_relaxed) ^ st) & STAMP_OWNER_MASK)
            return FB_EREVOKED;
        a = next;
    }
    return FB_OK;
}

int cap_snapshot(const struct cap_table *t, cap_handle_t h, struct cap_snap *s)
{
    uint32_t index = cap_handle_index(h), gen = cap_handle_gen(h);

    if (t == NULL)
        return FB_EINVAL;
    if (index >= t->capacity || gen == 0)
        return FB_EBADCAP;
    const struct cap_slot *slot = &t->slots[index];
    if (!read_slot(slot, gen, s))
        return cap_stamp_error(atomic_load_explicit(&slot->stamp, memory_order_acquire), gen);
    return walk_ancestors(s);
}

/* The fast path: reads only the four words a verify needs (stamp,
 * rights, parent link) rather than a full snapshot. */
int cap_verify(const struct cap_table *t, cap_handle_t h, cap_rights_t need)
{
    uint32_t index = cap_handle_index(h), gen = cap_handle_gen(h);
    struct cap_snap s;

    if (t == NULL || !rights_valid(need))
        return FB_EINVAL;
    if (index >= t->capacity || gen == 0)
        return FB_EBADCAP;
    const struct cap_slot *slot = &t->slots[index];
    /* acquire: pairs with publish's release store of the stamp. */
    uint64_t st = atomic_load_explicit(&slot->stamp, memory_order_acquire);
    if ((st & STAMP_OWNER_MASK) != stamp_make(gen, 0, SLOT_LIVE))
        return cap_stamp_error(st, gen);
    /* relaxed: validated by the second stamp load, as in read_slot. */
    s.meta = atomic_load_explicit(&slot->meta, memory_order_relaxed);
    s.parent_slot = atomic_load_explicit(&slot->parent_slot, memory_order_relaxed);
    s.parent_stamp = atomic_load_explicit(&slot->parent_stamp, memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    uint64_t again = atomic_load_explicit(&slot->stamp, memory_order_relaxed);
    if ((again ^ st) & STAMP_OWNER_MASK)
        return cap_stamp_error(again, gen);
    int err = walk_ancestors(&s);
    if (err != FB_OK)
        return err;
    return rights_leq(need, meta_rights(s.meta)) ? FB_OK : FB_EPERM;
}

void cap_info_fill(cap_handle_t h, const struct cap_snap *s, struct cap_info *out)
{
    out->handle = h;
    out->type = meta_type(s->meta);
    out->depth = meta_depth(s->meta);
    out->epoch = stamp_epoch(s->stamp);
    out->object = s->object;
    out->rights = meta_rights(s->meta);
    out->label = snap_label(s);
    out->created_ns = s->created_ns;
    out->parent = snap_parent(s);
    out->parent_table = s->parent_table;
}

int cap_lookup(const struct cap_table *t, cap_handle_t h, struct cap_info *out)
{
    struct cap_snap s;
    int err;

    if (out == NULL)
        return FB_EINVAL;
    if ((err = cap_snapshot(t, h, &s)) != FB_OK)
        return err;
    cap_info_fill(h, &s, out);
    return FB_OK;
}

/* Fills a reserved slot and makes it live; returns its handle. */
static cap_handle_t publish(struct cap_table *t, uint32_t index, const struct cap_snap *f)
{
    struct cap_slot *slot = &t->slots[index];
    uint32_t gen = stamp_gen(atomic_load_explicit(&slot->stamp, memory_order_relaxed));

    /* release fence: a reader that sees one of the field stores below
     * also sees the stamp change that freed this slot (read_slot). */
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&slot->parent_stamp, f->parent_stamp, memory_order_relaxed);
    atomic_store_explicit(&slot->parent_slot, (struct cap_slot *)f->parent_slot, memory_order_relaxed);
    atomic_store_explicit(&slot->meta, f->meta, memory_order_relaxed);
    atomic_store_explicit(&slot->object, f->object, memory_order_relaxed);
    atomic_store_explicit(&slot->cats, f->cats, memory_order_relaxed);
    atomic_store_explicit(&slot->created_ns, hal_read_timestamp(), memory_order_relaxed);
    atomic_store_explicit(&slot->parent_table, f->parent_table, memory_order_relaxed);
    /* release: the fields above are visible to whoever acquires the stamp. */
    atomic_store_explicit(&slot->stamp, stamp_make(gen, 0, SLOT_LIVE), memory_order_release);
    return handle_make(gen, index);
}

int cap_create(struct cap_table *t, uint16_t type, uint64_t object, cap_rights_t rights,
               fb_label_t label, cap_handle_t *out)
{
    struct cap_snap f = { 0 };
    uint32_t index;
    int err;

    if (t == NULL || out == NULL || type == 0 || !rights_valid(rights) || !lattice_valid(label))
        return FB_EINVAL;
    if (!lattice_leq(label, t->clearance))
        return FB_EPERM;
    if ((err = cap_table_alloc(t, &index)) != FB_OK)
        return err;
    f.object = object;
    f.cats = label.cats;
    f.meta = meta_make(type, label.level, 0, rights);
    *out = publish(t, index, &f);
    return FB_OK;
}

/* Derivation into table @to of a child of @h in @from; @need is the
 * right the parent must hold (DERIVE or GRANT). */
static int derive_into(struct cap_table *from, cap_handle_t h, struct cap_table *to,
                       cap_rights_t need, cap_rights_t rights, fb_label_t label,
                       cap_handle_t *out)
{
    struct cap_snap p, f = { 0 };
    uint32_t index;
    int err;

    if (from == NULL || to == NULL || out == NULL || !rights_valid(rights) ||
        !lattice_valid(label))
        return FB_EINVAL;
    if ((err = cap_snapshot(from, h, &p)) != FB_OK)
        return err;
    if (!rights_leq(need, meta_rights(p.meta)) || !rights_leq(rights, meta_rights(p.meta)))
        return FB_EPERM;
    if (!lattice_leq(snap_label(&p), label) || !lattice_leq(label, to->clearance))
        return FB_EPERM;
    if (meta_depth(p.meta) >= CAP_MAX_DEPTH)
        return FB_EDEPTH;
    if ((err = cap_table_alloc(to, &index)) != FB_OK)
        return err;
    f.object = p.object;
    f.cats = label.cats;
    f.parent_slot = &from->slots[cap_handle_index(h)];
    f.parent_table = from;
    /* The parent's stamp when it was verified above, epoch included: a
     * revoke that raced with us leaves this child dead at birth. */
    f.parent_stamp = p.stamp;
    f.meta = meta_make(meta_type(p.meta), label.level, (uint8_t)(meta_depth(p.meta) + 1), rights);
    *out = publish(to, index, &f);
    return FB_OK;
}

int cap_derive(struct cap_table *t, cap_handle_t parent, cap_rights_t rights, fb_label_t label,
               cap_handle_t *out)
{
    return derive_into(t, parent, t, CAP_R_DERIVE, rights, label, out);
}

int cap_grant(struct cap_table *from, cap_handle_t h, struct cap_table *to, cap_rights_t rights,
              fb_label_t label, cap_handle_t *out)
{
    if (from == to)
        return FB_EINVAL;
    return derive_into(from, h, to, CAP_R_GRANT, rights, label, out);
}

int cap_revoke(struct cap_table *t, cap_handle_t h)
{
    struct cap_snap s;
    int err;

    if ((err = cap_snapshot(t, h, &s)) != FB_OK)
        return err;
    if (!rights_leq(CAP_R_REVOKE, meta_rights(s.meta)))
        return FB_EPERM;
    _Atomic uint64_t *stamp = &t->slots[cap_handle_index(h)].stamp;
    uint64_t st = s.stamp;
    for (;;) {
        if (stamp_epoch(st) == CAP_EPOCH_MAX)
            return FB_ERANGE;
        /* seq_cst: the one step that revokes every descendant; any walk
         * ordered after it reads the new epoch and breaks the link. */
        if (atomic_compare_exchange_weak(stamp, &st, st + STAMP_EPOCH_ONE))
            return FB_OK;
        if ((st & STAMP_OWNER_MASK) != stamp_make(cap_handle_gen(h), 0, SLOT_LIVE))
            return cap_stamp_error(st, cap_handle_gen(h));
    }
}

int cap_delete(struct cap_table *t, cap_handle_t h)
{
    uint32_t index = cap_handle_index(h), gen = cap_handle_gen(h);

    if (t == NULL)
        return FB_EINVAL;
    if (index >= t->capacity || gen == 0)
        return FB_EBADCAP;
    _Atomic uint64_t *stamp = &t->slots[index].stamp;
    for (;;) {
        /* acquire: pairs with publish; the retry reloads after a racing
         * revoke changed only the epoch. */
        uint64_t st = atomic_load_explicit(stamp, memory_order_acquire);
        if ((st & STAMP_OWNER_MASK) != stamp_make(gen, 0, SLOT_LIVE))
            return cap_stamp_error(st, gen);
        if (cap_slot_free(t, index, st))
            return FB_OK;
    }
}
