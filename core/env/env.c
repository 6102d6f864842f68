/* The environment table and life cycle: create from an ELF image, start,
 * exit, wait, kill, and lookups by id and by capability. A slot is free
 * when its id is 0 and its thread is off every CPU; slots are reused,
 * never freed, because their capability tables must outlive every
 * capability derived from them. Lock order: envs_lock, then an
 * environment's lock. A slot's id, state, parent and reaped_by_kernel
 * change only with both held, so either lock is enough to read them. */
#include <stdbool.h>
#include <stdint.h>

#include "elf.h"
#include "dma.h"
#include "env.h"
#include "fmt.h"
#include "frame.h"
#include "hal/irq.h"
#include "hal/panic.h"
#include "hal/user.h"
#include "hal/usercopy.h"
#include "ipc.h"
#include "kerr.h"
#include "kstring.h"
#include "sys.h"

static struct env envs[ENV_MAX];
static spinlock_t envs_lock;     /* guards every slot's id and state, and next_id */
static uint32_t next_id;
static bool tables_ready;        /* every slot's capability table initialized once */
static struct env_system config;

/* The configuration env_init recorded. */
const struct env_system *env_system(void)
{
    return &config;
}

/* Resets the table, the user frame pool and the HAL handlers. */
int env_init(const struct env_system *sys)
{
    if (sys == NULL || sys->frames == NULL || sys->user_limit == 0)
        return FB_EINVAL;
    config = *sys;
    for (unsigned i = 0; i < ENV_MAX; i++) {
        struct env *e = &envs[i];

        if (!tables_ready)
            cap_table_init(&e->caps, e->slots, ENV_CAP_SLOTS, lattice_top());
        else
            cap_table_reset(&e->caps);
        e->id = 0;
        e->state = 0;
    }
    tables_ready = true;
    next_id = 1;
    ipc_init();
    umem_init(sys->user_limit);
    hal_user_set_syscall_handler(sys_entry);
    hal_user_set_fault_handler(env_user_fault);
    hal_user_set_return_hook(env_check_kill);
    return FB_OK;
}

/* True when slot e may take a new environment: free and its old thread
 * (if any) off every CPU. Expects envs_lock. */
static bool slot_free_locked(struct env *e)
{
    return e->id == 0 && e->state == 0 &&
           (e->thread.entry == NULL || sched_thread_done(&e->thread));
}

/* Sets e's id and state. Expects envs_lock held; takes e's lock. */
static void set_slot_locked(struct env *e, uint32_t id, uint32_t state)
{
    spin_lock(&e->lock);
    e->id = id;
    e->state = state;
    spin_unlock(&e->lock);
}

/* Claims a free slot for a new environment in state CREATED. */
static struct env *slot_alloc(uint32_t parent)
{
    hal_irq_state_t s = spin_lock_irqsave(&envs_lock);
    struct env *e = NULL;

    for (unsigned i = 0; i < ENV_MAX && e == NULL; i++) {
        if (slot_free_locked(&envs[i]))
            e = &envs[i];
    }
    if (e != NULL) {
        set_slot_locked(e, next_id++, EXO_ENV_CREATED);
        spin_lock(&e->lock);
        e->parent = parent;
        e->reaped_by_kernel = false;
        spin_unlock(&e->lock);
    }
    spin_unlock_irqrestore(&envs_lock, s);
    return e;
}

/* Returns slot e to the pool. Its thread may still be leaving the CPU;
 * slot_free_locked waits for that before reuse. */
static void slot_free(struct env *e)
{
    hal_irq_state_t s = spin_lock_irqsave(&envs_lock);

    set_slot_locked(e, 0, 0);
    spin_unlock_irqrestore(&envs_lock, s);
}

/* elf_page_fn: a fresh user frame mapped at va, handed to the loader. */
static int load_page(void *ctx, uintptr_t va, uint32_t flags, void **kpage)
{
    struct env *e = ctx;
    uint64_t pa;
    int err = umem_alloc(e, false, &pa);

    if (err != FB_OK)
        return err;
    err = umem_map(e, va, pa, flags);
    if (err != FB_OK) {
        umem_release(e, pa);
        return err;
    }
    *kpage = hal_phys_to_virt(pa);
    return FB_OK;
}

/* Maps the zeroed user stack below ENV_STACK_TOP. */
static int map_stack(struct env *e)
{
    for (unsigned i = 1; i <= ENV_STACK_PAGES; i++) {
        void *unused;
        int err = load_page(e, ENV_STACK_TOP - (uintptr_t)i * HAL_PAGE_SIZE,
                            HAL_MAP_USER | HAL_MAP_READ | HAL_MAP_WRITE, &unused);

        if (err != FB_OK)
            return err;
    }
    return FB_OK;
}

/* Closes files, frees memory and capabilities, and drops the address
 * space of e, which is not running user code (its own thread, leaving,
 * or never started). */
static void teardown(struct env *e)
{
    hal_irq_state_t s;

    for (unsigned i = 0; i < EXO_FD_MAX; i++)
        e->files[i].used = false;
    kmemset(e->maps, 0, sizeof(e->maps));
    /* Endpoints die with their owner; blocked parties wake with FB_ESTALE. */
    ipc_env_teardown(e);
    if (e->as != NULL) {
        umem_teardown(e);
        /* The thread must not switch back to the tables about to go. */
        s = hal_irq_disable();
        if (hal_aspace_current() == e->as)
            hal_aspace_switch(NULL);
        e->thread.as = NULL;
        hal_irq_restore(s);
        hal_aspace_destroy(e->as);
        e->as = NULL;
    }
    cap_table_reset(&e->caps);
    /* DMA buffers whose roots died with the table go back to the pool. */
    if (config.dma != NULL)
        dma_pool_reclaim(config.dma, NULL);
}

/* Marks e as ending, so no capability is granted into the table that
 * teardown is about to reset (env_grant checks it under the same lock). */
static void mark_dying(struct env *e)
{
    hal_irq_state_t s = spin_lock_irqsave(&e->lock);

    e->dying = true;
    spin_unlock_irqrestore(&e->lock, s);
}

/* Personality of an ELF brand. */
static uint32_t brand_personality(enum elf_brand b)
{
    switch (b) {
    case ELF_BRAND_LINUX:   return EXO_PERS_LINUX;
    case ELF_BRAND_FREEBSD: return EXO_PERS_FREEBSD;
    case ELF_BRAND_ILLUMOS: return EXO_PERS_ILLUMOS;
    default:                return EXO_PERS_NATIVE;
    }
}

/* Fills a new environment from the parsed image; undone by teardown. */
static int populate(struct env *e, const struct elf_image *img, const void *image, size_t len)
{
    cap_handle_t self;
    int err = hal_aspace_create(&e->as);

    if (err != FB_OK)
        return err;
    err = elf_load(img, image, len, load_page, e);
    if (err == FB_OK)
        err = map_stack(e);
    if (err == FB_OK)
        err = cap_create(&e->caps, CAP_T_ENV, e->id, CAP_R_ALL, e->label, &self);
    return err;
}

/* Creates an environment from image; see env.h. */
int env_create(struct env *parent, const void *image, size_t len, const char *name,
               struct env **out, cap_handle_t *cap)
{
    struct elf_image img;
    struct env *e;
    int err;

    if (image == NULL || name == NULL || out == NULL || (parent != NULL && cap == NULL))
        return FB_EINVAL;
    err = elf_parse(image, len, &img);
    if (err != FB_OK)
        return err;
    e = slot_alloc(parent != NULL ? parent->id : 0);
    if (e == NULL)
        return FB_ENOSPC;
    e->personality = brand_personality(img.brand);
    /* relaxed: the slot is not visible to anyone else yet. */
    atomic_store_explicit(&e->kill, false, memory_order_relaxed);
    e->dying = false;
    e->param = (struct sched_params){ SCHED_PRIO_DEFAULT, SCHED_TICKETS_DEFAULT };
    e->exit_code = 0;
    e->label = parent != NULL ? parent->label : lattice_bottom();
    atomic_store_explicit(&e->gas, ENV_GAS_DEFAULT, memory_order_relaxed);
    atomic_store_explicit(&e->syscalls, 0, memory_order_relaxed);
    e->entry = img.entry;
    /* relaxed: the slot is not visible to anyone else yet. */
    atomic_store_explicit(&e->pages, 0, memory_order_relaxed);
    e->args[0] = '\0';
    kstrlcpy(e->name, name, sizeof(e->name));
    kmemset(e->files, 0, sizeof(e->files));
    kmemset(e->maps, 0, sizeof(e->maps));
    sched_waitq_init(&e->exited);
    sched_waitq_init(&e->ipc_wait);
    e->ipc_reply = NULL;
    err = populate(e, &img, image, len);
    if (err == FB_OK && parent != NULL)
        err = cap_create(&parent->caps, CAP_T_ENV, e->id, CAP_R_ALL, parent->label, cap);
    if (err != FB_OK) {
        teardown(e);
        slot_free(e);
        return err;
    }
    *out = e;
    return FB_OK;
}

/* The thread of every environment: copies the argument string onto the
 * user stack and leaves for user mode. The scheduler has already made
 * e's address space current. */
static void env_thread_main(void *arg)
{
    struct env *e = arg;
    size_t len = kstrlen(e->args) + 1;
    uintptr_t argp = (ENV_STACK_TOP - len) & ~(uintptr_t)15;

    if (hal_copy_to_user(argp, e->args, len) != FB_OK)
        env_exit(EXO_EXIT_FAULT);
    hal_user_enter(e->entry, argp - 16, argp);
}

/* Starts e's thread; see env.h. */
int env_start(struct env *e, const char *args, size_t len)
{
    hal_irq_state_t s;
    int err;

    if (e == NULL || (args == NULL && len != 0))
        return FB_EINVAL;
    if (len > EXO_ARGS_MAX - 1)
        return FB_ERANGE;
    s = spin_lock_irqsave(&envs_lock);
    spin_lock(&e->lock);
    if (e->state != EXO_ENV_CREATED || atomic_load_explicit(&e->kill, memory_order_relaxed) ||
        e->dying) {
        spin_unlock(&e->lock);
        spin_unlock_irqrestore(&envs_lock, s);
        return FB_EBUSY;
    }
    e->state = EXO_ENV_RUNNING;
    spin_unlock(&e->lock);
    spin_unlock_irqrestore(&envs_lock, s);
    kmemcpy(e->args, args, len);
    e->args[len] = '\0';
    err = sched_thread_create(&e->thread, e->name, env_thread_main, e, e->kstack,
                              sizeof(e->kstack), &e->param);
    if (err == FB_OK) {
        e->thread.as = e->as;
        e->thread.owner = e;
        err = sched_thread_start(&e->thread);
    }
    if (err != FB_OK) {
        s = spin_lock_irqsave(&envs_lock);
        set_slot_locked(e, e->id, EXO_ENV_CREATED);
        spin_unlock_irqrestore(&envs_lock, s);
    }
    return err;
}

/* The calling thread's environment. */
struct env *env_current(void)
{
    struct sched_thread *t = sched_current();

    return t != NULL ? t->owner : NULL;
}

/* Marks e ended with code, wakes its waiters and, for an orphan, frees
 * the slot. Children of e become orphans; those already ended are reaped. */
static void finish(struct env *e, int64_t code)
{
    hal_irq_state_t s = spin_lock_irqsave(&envs_lock);
    bool orphan;

    for (unsigned i = 0; i < ENV_MAX; i++) {
        struct env *c = &envs[i];

        if (c->id == 0 || c->parent != e->id)
            continue;
        spin_lock(&c->lock);
        c->parent = 0;
        c->reaped_by_kernel = true;
        spin_unlock(&c->lock);
        if (c->state == EXO_ENV_EXITED)
            set_slot_locked(c, 0, 0);
    }
    spin_lock(&e->lock);
    e->exit_code = code;
    e->state = EXO_ENV_EXITED;
    orphan = e->reaped_by_kernel;
    if (orphan) {
        e->id = 0;
        e->state = 0;
    }
    spin_unlock(&e->lock);
    spin_unlock_irqrestore(&envs_lock, s);
    sched_wake_all(&e->exited);
}

/* Children that were never started die with their parent: an orphan
 * that nobody starts would hold its memory for good. */
static void kill_unstarted_children(struct env *e)
{
    for (unsigned i = 0; i < ENV_MAX; i++) {
        struct env *c = &envs[i];
        hal_irq_state_t s = spin_lock_irqsave(&envs_lock);
        bool unstarted = c->id != 0 && c->parent == e->id && c->state == EXO_ENV_CREATED;

        spin_unlock_irqrestore(&envs_lock, s);
        if (unstarted)
            env_kill(c);
    }
}

/* Ends the calling environment; see env.h. */
_Noreturn void env_exit(int64_t code)
{
    struct env *e = env_current();

    if (e == NULL)
        hal_panic("env_exit outside an environment");
    mark_dying(e);
    teardown(e);
    kill_unstarted_children(e);
    finish(e, code);
    sched_exit();
}

/* Reports a user-mode fault and ends the faulting environment. */
void env_user_fault(const struct hal_user_fault *f)
{
    struct env *e = env_current();

    if (e == NULL)
        hal_panic("user fault outside an environment");
    kprintf("FeuerBird: env %u (%s) ended: fault vector %u error 0x%lx at ip 0x%lx "
            "(sp 0x%lx, address 0x%lx)\n",
            e->id, e->name, f->vector, (unsigned long)f->error, (unsigned long)f->ip,
            (unsigned long)f->sp, (unsigned long)f->addr);
    env_exit(EXO_EXIT_FAULT);
}

/* The live environment with this id, or NULL. */
struct env *env_by_id(uint32_t id)
{
    hal_irq_state_t s = spin_lock_irqsave(&envs_lock);
    struct env *found = NULL;

    for (unsigned i = 0; id != 0 && i < ENV_MAX && found == NULL; i++) {
        if (envs[i].id == id)
            found = &envs[i];
    }
    spin_unlock_irqrestore(&envs_lock, s);
    return found;
}

/* Resolves a CAP_T_ENV capability of self's; with live_only, an
 * environment that ended (or is ending) is FB_ESTALE. The id and the
 * state are read under envs_lock and the environment's lock. */
static int from_cap(struct env *self, cap_handle_t h, cap_rights_t need, bool live_only,
                    struct env **out)
{
    struct cap_info ci;
    struct env *found = NULL;
    hal_irq_state_t s;
    int err = cap_verify(&self->caps, h, need);

    if (err == FB_OK)
        err = cap_lookup(&self->caps, h, &ci);
    if (err != FB_OK)
        return err;
    if (ci.type != CAP_T_ENV)
        return FB_EINVAL;
    s = spin_lock_irqsave(&envs_lock);
    for (unsigned i = 0; ci.object != 0 && ci.object <= UINT32_MAX && i < ENV_MAX; i++) {
        struct env *e = &envs[i];

        if (e->id != ci.object)
            continue;
        spin_lock(&e->lock);
        if (!live_only || (e->state != EXO_ENV_EXITED && !e->dying))
            found = e;
        spin_unlock(&e->lock);
        break;
    }
    spin_unlock_irqrestore(&envs_lock, s);
    if (found == NULL)
        return FB_ESTALE;
    *out = found;
    return FB_OK;
}

/* A live environment named by a capability; see env.h. */
int env_from_cap(struct env *self, cap_handle_t h, cap_rights_t need, struct env **out)
{
    return from_cap(self, h, need, true, out);
}

/* Any environment not yet reaped named by a capability; see env.h. */
int env_from_cap_any(struct env *self, cap_handle_t h, cap_rights_t need, struct env **out)
{
    return from_cap(self, h, need, false, out);
}

/* Grants into a live environment's table; see env.h. */
int env_grant(struct env *from, cap_handle_t h, struct env *to, cap_rights_t rights,
              fb_label_t label, cap_handle_t *out)
{
    hal_irq_state_t s = spin_lock_irqsave(&to->lock);
    int err = FB_ESTALE;

    /* Under to's lock, which mark_dying takes before teardown resets the
     * table: the table is not reset while the grant lands in it. */
    if (to->id != 0 && !to->dying && to->state != EXO_ENV_EXITED)
        err = cap_grant(&from->caps, h, &to->caps, rights, label, out);
    spin_unlock_irqrestore(&to->lock, s);
    return err;
}

/* Sets scheduling parameters: kept for the thread when not started. */
int env_set_param(struct env *e, const struct sched_params *p)
{
    hal_irq_state_t s = spin_lock_irqsave(&e->lock);
    bool started = e->state != EXO_ENV_CREATED;

    e->param = *p;
    spin_unlock_irqrestore(&e->lock, s);
    return started ? sched_set_param(&e->thread, p) : FB_OK;
}

struct wait_arg {
    struct env *e;
    uint32_t id;
};

/* Wait condition: the environment ended, or its slot moved on. Runs
 * under the wait queue's lock; takes the environment's. */
static bool ended(void *arg)
{
    const struct wait_arg *w = arg;
    bool done;

    spin_lock(&w->e->lock);
    done = w->e->id != w->id || w->e->state == EXO_ENV_EXITED;
    spin_unlock(&w->e->lock);
    return done;
}

/* Waits for e to end and reaps it; see env.h. */
int64_t env_wait(struct env *e, int64_t *code)
{
    hal_irq_state_t s = spin_lock_irqsave(&e->lock);
    struct wait_arg w = { e, e->id };
    int err;

    spin_unlock_irqrestore(&e->lock, s);
    err = sched_wait_event(&e->exited, ended, &w);

    if (err != FB_OK)
        return err;
    s = spin_lock_irqsave(&envs_lock);
    if (e->id != w.id || e->state != EXO_ENV_EXITED) {
        spin_unlock_irqrestore(&envs_lock, s);
        return FB_ESTALE;
    }
    *code = e->exit_code;
    set_slot_locked(e, 0, 0);
    spin_unlock_irqrestore(&envs_lock, s);
    return w.id;
}

/* Ends e with EXO_EXIT_KILLED; see env.h. */
int env_kill(struct env *e)
{
    hal_irq_state_t s = spin_lock_irqsave(&e->lock);
    uint32_t state = e->state;

    if (state == EXO_ENV_RUNNING)
        /* relaxed: a request polled at the next kernel entry; the exit
         * path it triggers synchronizes through the locks it takes. */
        atomic_store_explicit(&e->kill, true, memory_order_relaxed);
    if (state == EXO_ENV_CREATED)
        e->dying = true;
    spin_unlock_irqrestore(&e->lock, s);
    if (state == EXO_ENV_CREATED) {
        teardown(e);
        finish(e, EXO_EXIT_KILLED);
        return FB_OK;
    }
    if (state != EXO_ENV_RUNNING)
        return FB_ESTALE;
    /* A thread blocked in IPC sees the kill only when woken. */
    sched_wake_all(&e->ipc_wait);
    if (e == env_current())
        env_exit(EXO_EXIT_KILLED);
    return FB_OK;
}

/* Ends the caller when a kill is pending. */
void env_check_kill(void)
{
    struct env *e = env_current();

    /* relaxed: see env_kill. */
    if (e != NULL && atomic_load_explicit(&e->kill, memory_order_relaxed))
        env_exit(EXO_EXIT_KILLED);
}

/* Copies e's public fields into out. */
void env_info(struct env *e, struct exo_env_info *out)
{
    hal_irq_state_t s = spin_lock_irqsave(&e->lock);

    kmemset(out, 0, sizeof(*out));
    out->id = e->id;
    out->parent = e->parent;
    out->state = e->state;
    out->personality = e->personality;
    out->level = e->label.level;
    out->cats = e->label.cats;
    /* relaxed: a count for reports. */
    out->pages = atomic_load_explicit(&e->pages, memory_order_relaxed);
    out->gas = atomic_load_explicit(&e->gas, memory_order_relaxed);
    out->exit_code = e->state == EXO_ENV_EXITED ? e->exit_code : 0;
    out->syscalls = atomic_load_explicit(&e->syscalls, memory_order_relaxed);
    kstrlcpy(out->name, e->name, sizeof(out->name));
    spin_unlock_irqrestore(&e->lock, s);
    /* Outside e's lock: the scheduler's locks guard the thread's stats. */
    out->runtime_ns = out->state == EXO_ENV_CREATED ? 0 : sched_thread_runtime_ns(&e->thread);
}

/* Lists live environments in id order, skipping the first skip; returns
 * how many there are. */
size_t env_list(struct exo_env_info *out, size_t skip, size_t max)
{
    size_t n = 0;
    uint32_t last = 0;

    /* Selection by ascending id: ENV_MAX is small and listings are rare. */
    for (;;) {
        struct env *next = NULL;
        hal_irq_state_t s = spin_lock_irqsave(&envs_lock);

        for (unsigned i = 0; i < ENV_MAX; i++) {
            if (envs[i].id > last && (next == NULL || envs[i].id < next->id))
                next = &envs[i];
        }
        spin_unlock_irqrestore(&envs_lock, s);
        if (next == NULL)
            return n;
        last = next->id;
        if (n >= skip && n - skip < max)
            env_info(next, &out[n - skip]);
        n++;
    }
}

/* Checks every slot's capability table and the slot states; the caller
 * makes sure nothing runs (tests, fuzzing). */
int env_check(const char **why)
{
    for (unsigned i = 0; i < ENV_MAX; i++) {
        const struct env *e = &envs[i];

        if (cap_table_check(&e->caps, NULL, NULL) != FB_OK) {
            *why = "an environment's capability table is inconsistent";
            return FB_EINVAL;
        }
        if ((e->id == 0) != (e->state == 0)) {
            *why = "a slot has an id without a state or a state without an id";
            return FB_EINVAL;
        }
        if (e->id == 0 && e->as != NULL) {
            *why = "a free slot still holds an address space";
            return FB_EINVAL;
        }
    }
    return FB_OK;
}

/* Live environments now. */
unsigned env_count(void)
{
    hal_irq_state_t s = spin_lock_irqsave(&envs_lock);
    unsigned n = 0;

    for (unsigned i = 0; i < ENV_MAX; i++)
        n += envs[i].id != 0;
    spin_unlock_irqrestore(&envs_lock, s);
    return n;
}

/* Reads the regular file at path into n contiguous fresh frames (the ELF
 * loader wants one flat image); *pa and *pages say what to free. */
static int read_image(const char *path, uint64_t *pa, uint64_t *pages, size_t *len)
{
    const struct env_system *sys = env_system();
    struct vfs_stat st;
    vfs_handle_t h;
    size_t got;
    int err;

    if (sys->fs == NULL)
        return FB_ENOENT;
    err = vfs_lookup(sys->fs, path, &h);
    if (err == FB_OK)
        err = vfs_stat(sys->fs, h, &st);
    if (err != FB_OK)
        return err;
    if (st.type != VFS_REG || st.size == 0 || st.size > ENV_IMAGE_MAX)
        return FB_EINVAL;
    *pages = (st.size + HAL_PAGE_SIZE - 1) / HAL_PAGE_SIZE;
    err = frame_alloc_range(sys->frames, *pages, HAL_PAGE_SIZE, UINT64_MAX, pa);
    if (err != FB_OK)
        return FB_ENOMEM;
    err = vfs_read(sys->fs, h, 0, hal_phys_to_virt(*pa), (size_t)st.size, &got);
    if (err == FB_OK && got != st.size)
        err = FB_ETRUNC;
    if (err != FB_OK) {
        for (uint64_t i = 0; i < *pages; i++)
            frame_free(sys->frames, *pa + i * HAL_PAGE_SIZE);
        return err;
    }
    *len = got;
    return FB_OK;
}

/* env_create from a VFS file; see env.h. */
int env_create_path(struct env *parent, const char *path, struct env **out, cap_handle_t *cap)
{
    uint64_t pa, pages;
    size_t len;
    int err;

    if (path == NULL)
        return FB_EINVAL;
    err = read_image(path, &pa, &pages, &len);
    if (err != FB_OK)
        return err;
    err = env_create(parent, hal_phys_to_virt(pa), len, path, out, cap);
    for (uint64_t i = 0; i < pages; i++)
        frame_free(env_system()->frames, pa + i * HAL_PAGE_SIZE);
    return err;
}
