/* Capabilities: unforgeable, attenuating, revocable in one step.
 *
 * A capability table is a fixed array of slots with lock-free
 * allocation. A handle names a slot and the slot's generation, so a
 * handle outlives nothing: once its capability is deleted the handle is
 * an error, never another object. Derivation only attenuates. Revocation
 * advances the revoked capability's epoch; every child recorded the epoch
 * it was derived under, so one atomic increment invalidates every
 * transitive descendant, however many there are. Tokens carry a
 * capability outside the kernel under an HMAC-SHA256 tag.
 *
 * docs/CAPABILITY_LATTICE_ARCHITECTURE.md is the full description. */
#ifndef FB_CAP_H
#define FB_CAP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kerr.h"
#include "lattice.h"

/** A set of rights; the bits below, nothing else. */
typedef uint32_t cap_rights_t;

/** @name Rights */
/** @{ */
#define CAP_R_READ    (1u << 0) /**< read the object */
#define CAP_R_WRITE   (1u << 1) /**< modify the object */
#define CAP_R_EXEC    (1u << 2) /**< execute (memory) */
#define CAP_R_MAP     (1u << 3) /**< map into an address space */
#define CAP_R_SEND    (1u << 4) /**< send on an endpoint */
#define CAP_R_RECV    (1u << 5) /**< receive on an endpoint */
#define CAP_R_CALL    (1u << 6) /**< call (send and wait for the reply) */
#define CAP_R_GRANT   (1u << 7) /**< give a derived copy to another table; mint a token */
#define CAP_R_DERIVE  (1u << 8) /**< derive an attenuated child in the same table */
#define CAP_R_REVOKE  (1u << 9) /**< revoke every descendant */
#define CAP_R_ALL     ((1u << 10) - 1) /**< every right */
/** @} */

/** True when @p r has no bit outside CAP_R_ALL. */
bool rights_valid(cap_rights_t r);
/** True when @p a is a subset of @p b. */
bool rights_leq(cap_rights_t a, cap_rights_t b);
/** Union of two right sets. */
cap_rights_t rights_join(cap_rights_t a, cap_rights_t b);
/** Intersection of two right sets. */
cap_rights_t rights_meet(cap_rights_t a, cap_rights_t b);
/** Every right (CAP_R_ALL). */
cap_rights_t rights_top(void);
/** No right (0). */
cap_rights_t rights_bottom(void);

/** Kinds of object a capability can name. 0 is never valid. */
enum cap_type {
    CAP_T_MEMORY = 1,  /**< a range of physical memory */
    CAP_T_ENDPOINT,    /**< an IPC endpoint */
    CAP_T_IRQ,         /**< an interrupt line */
    CAP_T_DMA,         /**< a DMA buffer */
    CAP_T_ENV,         /**< an environment */
    CAP_T_CPU,         /**< CPU time on a processor */
    CAP_T_FILE,        /**< a VFS node */
    CAP_T_USER = 128,  /**< first type number left to user-level servers */
    CAP_T_MAX = 0xffff /**< largest type number */
};

/** Longest chain of derivations: a root has depth 0, so a capability
 *  has at most CAP_MAX_DEPTH ancestors. Bounds the cost of cap_verify. */
#define CAP_MAX_DEPTH 16

/** Largest table (slots); indexes must fit in 32 bits with room for
 *  the empty-list marker. */
#define CAP_TABLE_MAX ((uint32_t)1 << 30)

/** Handle: slot generation in bits 63..32, slot index in bits 31..0.
 *  Generations start at 1, so 0 is never a valid handle, and end at
 *  2^31 - 1 (the slot is then retired), so a handle read as int64_t is
 *  always positive: syscalls return handles and negative errors in one
 *  register. */
typedef uint64_t cap_handle_t;

/** The handle that is never valid. */
#define CAP_HANDLE_NONE ((cap_handle_t)0)

/** One slot, one cache line. All fields are atomics: a slot's fields are
 *  read without a lock while another thread may recycle it, and the
 *  stamp tells readers whether what they read belongs to the handle they
 *  hold. */
struct cap_slot {
    _Atomic uint64_t stamp;        /**< generation 63..32, epoch 31..2, state 1..0 */
    union {
        /** Live: the stamp the parent must still have (its generation and
         *  the epoch this capability was derived under, state live). */
        _Atomic uint64_t parent_stamp;
        /** Free: index of the next free slot. */
        _Atomic uint64_t next_free;
    };
    _Atomic(struct cap_slot *) parent_slot; /**< the parent's slot; NULL for a root */
    _Atomic uint64_t meta;         /**< type 63..48, level 47..40, depth 39..32, rights 31..0 */
    _Atomic uint64_t object;       /**< object id */
    _Atomic uint64_t cats;         /**< label categories */
    _Atomic uint64_t created_ns;   /**< hal_read_timestamp() at creation */
    _Atomic(struct cap_table *) parent_table; /**< table holding the parent */
} __attribute__((aligned(64)));

/** A capability table (one per environment). Its memory must stay valid
 *  while any table holds a capability derived from one of its entries:
 *  the kernel recycles tables with cap_table_reset, it never frees them.
 *  Ids come from a 32-bit counter: unique for the first 2^32 tables of a
 *  boot. */
struct cap_table {
    struct cap_slot *slots;       /**< @ref capacity slots, caller's memory */
    uint32_t capacity;            /**< number of slots */
    uint32_t id;                  /**< unique per boot; bound into tokens */
    fb_label_t clearance;         /**< no capability above this label may live here */
    /** tag 63..32, index 31..0 of the first free slot; on its own cache
     *  line, away from the read-mostly fields above and the sweep below */
    _Alignas(64) _Atomic uint64_t free_head;
    /** next slot the incremental sweep examines */
    _Alignas(64) _Atomic uint32_t sweep_cursor;
    _Atomic uint64_t reclaimed;   /**< slots of dead capabilities returned to the pool */
};

/** A consistent copy of one capability's fields. */
struct cap_info {
    cap_handle_t handle;            /**< the handle looked up */
    uint16_t type;                  /**< enum cap_type */
    uint8_t depth;                  /**< 0 for a root */
    uint32_t epoch;                 /**< revocations of this capability so far */
    uint64_t object;                /**< object id */
    cap_rights_t rights;            /**< rights held */
    fb_label_t label;               /**< label */
    uint64_t created_ns;            /**< creation time, hal_read_timestamp() */
    cap_handle_t parent;            /**< parent's handle, 0 for a root */
    const struct cap_table *parent_table; /**< table of the parent, NULL for a root */
};

/** Counts from a quiescent table, filled by cap_table_check. */
struct cap_table_stats {
    uint32_t live;      /**< slots holding a capability that verifies */
    uint32_t dead;      /**< slots holding a revoked capability not yet reclaimed */
    uint32_t free;      /**< slots on the free list */
    uint32_t retired;   /**< slots whose generation is exhausted, never reused */
    uint32_t reserved;  /**< slots taken by cap_table_alloc and not yet published */
    uint64_t reclaimed; /**< dead slots returned to the pool since init */
};

/** Bytes of slot memory a table of @p capacity slots needs (64 per slot). */
size_t cap_table_bytes(uint32_t capacity);

/**
 * Makes an empty table over @p slots (@p capacity entries, 64-byte
 * aligned, contents ignored). No capability above @p clearance may live
 * in it. Generations restart at 1, so this is for fresh memory only:
 * memory of a table that capabilities elsewhere were derived from must
 * be recycled with cap_table_reset, or old children could match a new
 * occupant. Errors: FB_EINVAL (NULL, capacity 0 or above CAP_TABLE_MAX,
 * misaligned slots, invalid label).
 */
int cap_table_init(struct cap_table *t, struct cap_slot *slots, uint32_t capacity,
                   fb_label_t clearance);

/**
 * Deletes every capability in @p t (so every capability derived from them,
 * in any table, stops verifying) and returns all slots to the free list.
 * Generations keep counting, so no old handle becomes valid again.
 * O(capacity). No other operation on @p t may run at the same time;
 * operations on other tables may. Slots whose generations ran out stay
 * retired. Does nothing when @p t is NULL.
 */
void cap_table_reset(struct cap_table *t);

/**
 * Takes a free slot off the lock-free free list and returns its index,
 * reserved for the caller. When the list is empty, slots of revoked
 * capabilities are reclaimed first. Errors: FB_ENOSPC (table full).
 * Used by cap_create/derive/grant; a reservation not published must be
 * given back with cap_table_release. FB_EINVAL for NULL arguments.
 */
int cap_table_alloc(struct cap_table *t, uint32_t *index);

/** Gives back a slot reserved by cap_table_alloc and never published.
 *  Errors: FB_EINVAL (NULL table, index out of range or slot not
 *  reserved). */
int cap_table_release(struct cap_table *t, uint32_t index);

/**
 * Invariant checker: walks the whole table and its free list. The table
 * must be quiescent. Checks that every slot is in exactly one state, the
 * free list holds every free slot once and nothing else, and every live
 * capability is well formed and attenuates its parent (rights a subset,
 * label dominating, depth one more). Fills @p stats when not NULL.
 * Errors: FB_EINVAL with the first broken slot's index in @p bad_index
 * (may be NULL), or for a NULL table.
 */
int cap_table_check(const struct cap_table *t, struct cap_table_stats *stats,
                    uint32_t *bad_index);

/**
 * Creates a root capability for object (@p type, @p object) with
 * @p rights and @p label. Errors: FB_EINVAL (type 0, rights or label
 * invalid), FB_EPERM (label above the table's clearance), FB_ENOSPC.
 */
int cap_create(struct cap_table *t, uint16_t type, uint64_t object, cap_rights_t rights,
               fb_label_t label, cap_handle_t *out);

/**
 * The fast path: FB_OK when @p h names a live capability in @p t, none
 * of its ancestors was revoked or deleted, and it holds every right in
 * @p need. Errors: FB_EBADCAP (never issued), FB_ESTALE (deleted),
 * FB_EREVOKED (it or an ancestor revoked), FB_EPERM (a right missing),
 * FB_EINVAL (@p need has bits outside CAP_R_ALL). Lock-free; cost grows
 * with the depth only.
 */
int cap_verify(const struct cap_table *t, cap_handle_t h, cap_rights_t need);

/** cap_verify, then a consistent copy of the capability into @p out.
 *  Errors: those of cap_verify (with need = 0), FB_EINVAL (@p out NULL). */
int cap_lookup(const struct cap_table *t, cap_handle_t h, struct cap_info *out);

/**
 * Derives a child of @p parent in the same table with @p rights (a
 * subset of the parent's) and @p label (dominating the parent's label,
 * within the table's clearance). Needs CAP_R_DERIVE on the parent.
 * Errors: those of cap_verify, FB_EPERM (amplification or a label
 * outside the rule), FB_EDEPTH (the parent is at CAP_MAX_DEPTH),
 * FB_EINVAL, FB_ENOSPC.
 */
int cap_derive(struct cap_table *t, cap_handle_t parent, cap_rights_t rights, fb_label_t label,
               cap_handle_t *out);

/**
 * Gives a derived child of @p h in table @p from to table @p to (another
 * environment). Needs CAP_R_GRANT on @p h; the same attenuation rules as
 * cap_derive, and the label must lie within @p to's clearance.
 * Errors: those of cap_derive; FB_EINVAL when @p to is @p from (a copy
 * within one table is a derivation and needs CAP_R_DERIVE).
 */
int cap_grant(struct cap_table *from, cap_handle_t h, struct cap_table *to, cap_rights_t rights,
              fb_label_t label, cap_handle_t *out);

/**
 * Revokes every transitive descendant of @p h, in every table, in one
 * atomic step: @p h's epoch advances, so after this returns no
 * descendant verifies on any thread. @p h itself stays valid. O(1).
 * Needs CAP_R_REVOKE. The dead descendants' slots return to their
 * tables' free lists lazily (each allocation sweeps a few slots; a
 * table that looks full sweeps all of them before saying so).
 * Errors: those of cap_verify, FB_ERANGE (the epoch counter is
 * exhausted after 2^30 - 1 revocations; delete and recreate the
 * capability).
 */
int cap_revoke(struct cap_table *t, cap_handle_t h);

/**
 * Deletes @p h: its slot is freed at once and, with it, every
 * descendant stops verifying. A revoked (dead) capability may be deleted.
 * Needs no right. Errors: FB_EINVAL (@p t NULL), FB_EBADCAP, FB_ESTALE.
 */
int cap_delete(struct cap_table *t, cap_handle_t h);

/** Bytes of a token: a 56-byte body and its 32-byte tag. */
#define CAP_TOKEN_LEN 88

/**
 * Draws the per-boot token key (32 bytes) from hal_entropy.
 * Call once at boot, before any token operation.
 * Errors: those of hal_entropy (FB_ENOTSUP without an entropy source,
 * FB_EAGAIN when the source failed this time; a retry may succeed).
 */
int cap_token_init(void);

/** Sets the token key to @p len bytes at @p key (tests, fuzzing and
 *  reproducible benchmarks). Not safe while other threads mint or verify
 *  tokens: set it first. Errors: FB_EINVAL (len under 16). */
int cap_token_set_key(const void *key, size_t len);

/**
 * Serializes @p h into @p out: the capability's table id, handle, type,
 * object, rights, label, depth, current epoch and creation time, followed
 * by an HMAC-SHA256 tag over all of them. Needs CAP_R_GRANT. Like a
 * descendant, a token dies when its capability is revoked (its epoch
 * advances) or deleted.
 * Errors: those of cap_verify, FB_EAGAIN (no key yet), FB_EINVAL.
 */
int cap_token_mint(const struct cap_table *t, cap_handle_t h, uint8_t out[CAP_TOKEN_LEN]);

/**
 * Checks a token against table @p t: length, tag (constant-time
 * comparison), format, that @p t minted it, that the capability it names
 * still verifies with the same fields, and that it was not revoked since
 * the token was minted. Fills @p out when not NULL.
 * Errors: FB_EINVAL (wrong length or format, @p t NULL), FB_EAUTH (bad
 * tag or another table's token), FB_EREVOKED (the capability or an
 * ancestor revoked since), FB_ESTALE (deleted), FB_EAGAIN (no key yet).
 */
int cap_token_verify(const struct cap_table *t, const void *token, size_t len,
                     struct cap_info *out);

/** Slot index of a handle. */
static inline uint32_t cap_handle_index(cap_handle_t h) { return (uint32_t)h; }
/** Generation of a handle. */
static inline uint32_t cap_handle_gen(cap_handle_t h) { return (uint32_t)(h >> 32); }

#endif
