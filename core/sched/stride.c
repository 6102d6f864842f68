/* Stride scheduling: a thread's pass advances by SCHED_STRIDE1 / tickets
 * per slice of CPU time (pro rata); the smallest (pass, seq) runs next.
 * The queue is an intrusive binary min-heap kept complete: node k (root
 * k = 1) has children 2k and 2k + 1, and the path to node k follows the
 * bits of k below its top bit. So insert, remove and pick are O(log n)
 * in the worst case (n queued threads), with no storage but the links in
 * each thread. Queue lock held in every hook. */
#include "kerr.h"
#include "sched_internal.h"

/* Longest charge taken at once; keeps stride * ran below 2^64. */
#define MAX_CHARGE_NS (1ull << 40)

/* Heap order: smaller pass first, then earlier arrival. */
static bool before(const struct sched_thread *a, const struct sched_thread *b)
{
    return a->link.pass < b->link.pass ||
           (a->link.pass == b->link.pass && a->link.seq < b->link.seq);
}

/* The node at heap position pos (1 .. count). O(log n). */
static struct sched_thread *locate(const struct sched_stride_rq *h, unsigned pos)
{
    struct sched_thread *n = h->root;
    int bit = 31 - __builtin_clz(pos);

    while (--bit >= 0)
        n = (pos >> bit) & 1u ? n->link.right : n->link.left;
    return n;
}

/* Points whatever pointed at old (its parent's child link, or the root)
 * at new. */
static void replace_in_parent(struct sched_stride_rq *h, struct sched_thread *parent,
                              struct sched_thread *old, struct sched_thread *new)
{
    if (parent == NULL)
        h->root = new;
    else if (parent->link.left == old)
        parent->link.left = new;
    else
        parent->link.right = new;
}

/* Swaps node c with its parent p in the tree (links, not keys). */
static void swap_with_parent(struct sched_stride_rq *h, struct sched_thread *c)
{
    struct sched_thread *p = c->link.parent, *g = p->link.parent;
    struct sched_thread *cl = c->link.left, *cr = c->link.right;

    if (p->link.left == c) {
        c->link.left = p;
        c->link.right = p->link.right;
        if (c->link.right != NULL)
            c->link.right->link.parent = c;
    } else {
        c->link.right = p;
        c->link.left = p->link.left;
        if (c->link.left != NULL)
            c->link.left->link.parent = c;
    }
    p->link.left = cl;
    p->link.right = cr;
    if (cl != NULL)
        cl->link.parent = p;
    if (cr != NULL)
        cr->link.parent = p;
    p->link.parent = c;
    c->link.parent = g;
    replace_in_parent(h, g, p, c);
}

/* Moves n up while it orders before its parent. */
static void sift_up(struct sched_stride_rq *h, struct sched_thread *n)
{
    while (n->link.parent != NULL && before(n, n->link.parent))
        swap_with_parent(h, n);
}

/* Moves n down while a child orders before it. */
static void sift_down(struct sched_stride_rq *h, struct sched_thread *n)
{
    for (;;) {
        struct sched_thread *c = n->link.left;

        if (n->link.right != NULL && before(n->link.right, c))
            c = n->link.right;
        if (c == NULL || !before(c, n))
            return;
        swap_with_parent(h, c);
    }
}

/* Adds t at position count + 1, then restores order. */
static void heap_insert(struct sched_stride_rq *h, struct sched_thread *t)
{
    unsigned pos = ++h->count;

    t->link.left = NULL;
    t->link.right = NULL;
    t->link.parent = NULL;
    if (pos == 1) {
        h->root = t;
        return;
    }
    t->link.parent = locate(h, pos / 2);
    if (pos & 1u)
        t->link.parent->link.right = t;
    else
        t->link.parent->link.left = t;
    sift_up(h, t);
}

/* Removes t: the last node takes its place and moves up or down. */
static void heap_remove(struct sched_stride_rq *h, struct sched_thread *t)
{
    struct sched_thread *last = locate(h, h->count);

    replace_in_parent(h, last->link.parent, last, NULL);
    h->count--;
    if (last != t) {
        last->link.parent = t->link.parent;
        last->link.left = t->link.left;
        last->link.right = t->link.right;
        if (last->link.left != NULL)
            last->link.left->link.parent = last;
        if (last->link.right != NULL)
            last->link.right->link.parent = last;
        replace_in_parent(h, t->link.parent, t, last);
        sift_up(h, last);
        sift_down(h, last);
    }
    t->link.parent = NULL;
    t->link.left = NULL;
    t->link.right = NULL;
}

/* Empty heap, clock at zero. */
static void stride_init(struct sched_rq *rq)
{
    rq->pol.stride = (struct sched_stride_rq){ .root = NULL, .count = 0, .vtime = 0, .seq = 0 };
}

/* Joins at the queue's clock unless t's pass is already on this queue's
 * clock (same queue, same policy generation) and not behind it: no credit
 * is banked while away, and none is lost by moving. Never preempts. */
static bool stride_enqueue(struct sched_rq *rq, struct sched_thread *t)
{
    struct sched_stride_rq *h = &rq->pol.stride;

    if (t->link.pass_rq != rq || t->link.pass_gen != rq->gen || t->link.pass < h->vtime)
        t->link.pass = h->vtime;
    t->link.pass_rq = rq;
    t->link.pass_gen = rq->gen;
    t->link.seq = h->seq++;
    heap_insert(h, t);
    return false;
}

/* Out of the heap. O(log n). */
static void stride_dequeue(struct sched_rq *rq, struct sched_thread *t)
{
    heap_remove(&rq->pol.stride, t);
}

/* The root; the clock advances to its pass. O(log n). */
static struct sched_thread *stride_pick_next(struct sched_rq *rq)
{
    struct sched_stride_rq *h = &rq->pol.stride;
    struct sched_thread *t = h->root;

    if (t == NULL)
        return NULL;
    heap_remove(h, t);
    if (t->link.pass > h->vtime)
        h->vtime = t->link.pass;
    return t;
}

/* pass += stride * ran / slice (at least 1 for any time used). */
static bool stride_tick(struct sched_rq *rq, struct sched_thread *t, uint64_t ran_ns)
{
    uint64_t stride = SCHED_STRIDE1 / t->param.tickets;
    uint64_t ran = ran_ns < MAX_CHARGE_NS ? ran_ns : MAX_CHARGE_NS;
    uint64_t charge = stride * ran / rq->slice_ns;

    if (charge == 0 && ran != 0)
        charge = 1;
    t->link.pass += charge;
    return sched_slice_charge(rq, t, ran_ns);
}

/* The yielder has paid for the time it used; it re-joins behind ties. */
static void stride_yield(struct sched_rq *rq, struct sched_thread *t)
{
    stride_enqueue(rq, t);
}

/* target runs at curr's turn: when curr's pass is earlier the two swap
 * passes, so the sum of passes (the queue's debt) is unchanged. */
static void stride_yield_to(struct sched_rq *rq, struct sched_thread *curr, struct sched_thread *target)
{
    uint64_t p = curr->link.pass;

    (void)rq;
    if (p < target->link.pass && curr->link.pass_rq == target->link.pass_rq &&
        curr->link.pass_gen == target->link.pass_gen) {
        curr->link.pass = target->link.pass;
        target->link.pass = p;
    }
}

/* New tickets apply from the next charge; the heap key (pass) is kept,
 * so a queued thread does not move. */
static void stride_set_param(struct sched_rq *rq, struct sched_thread *t, const struct sched_params *p)
{
    (void)rq;
    t->param = *p;
}

/* Checks node n at position pos and its subtree; adds to *count and
 * raises *depth. Recursion depth is the heap height, O(log n). */
static bool check_node(const struct sched_rq *rq, const struct sched_thread *n,
                       const struct sched_thread *parent, unsigned pos, unsigned level,
                       unsigned *count, unsigned *depth)
{
    const struct sched_stride_rq *h = &rq->pol.stride;

    if (n == NULL)
        return true;
    if (pos > h->count || n->link.parent != parent || n->rq != rq ||
        (parent != NULL && before(n, parent)) || n->link.pass < h->vtime)
        return false;
    (*count)++;
    if (level > *depth)
        *depth = level;
    return check_node(rq, n->link.left, n, 2 * pos, level + 1, count, depth) &&
           check_node(rq, n->link.right, n, 2 * pos + 1, level + 1, count, depth);
}

/* Heap order, parent links, shape (every position within count), count. */
static int stride_stats(const struct sched_rq *rq, struct sched_rq_stats *st)
{
    const struct sched_stride_rq *h = &rq->pol.stride;
    unsigned n = 0, depth = 0;
    bool ok = h->count <= rq->nr_queued &&
              check_node(rq, h->root, NULL, 1, 1, &n, &depth) && n == h->count;

    *st = (struct sched_rq_stats){ .queued = n, .enqueues = rq->enqueues, .picks = rq->picks,
                                   .stride_vtime = h->vtime, .heap_depth = depth };
    return ok ? FB_OK : FB_EINVAL;
}

const struct exo_sched_ops sched_stride_ops = {
    .name = "stride",
    .init = stride_init,
    .enqueue = stride_enqueue,
    .dequeue = stride_dequeue,
    .pick_next = stride_pick_next,
    .tick = stride_tick,
    .yield = stride_yield,
    .yield_to = stride_yield_to,
    .set_param = stride_set_param,
    .stats = stride_stats,
};
