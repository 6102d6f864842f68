/* CPU, IRQ and DMA syscalls. Changing what other environments get (the
 * policy, CPU binding) needs a CAP_T_CPU capability with WRITE; device
 * lines are named by CAP_T_IRQ capabilities (irq.h checks them), DMA
 * buffers by the CAP_T_DMA roots dma_alloc creates. */
#include <stdint.h>

#include "dma.h"
#include "env.h"
#include "exo_abi.h"
#include "exo_sched.h"
#include "hal/cpu.h"
#include "hal/usercopy.h"
#include "irq.h"
#include "kerr.h"
#include "kstring.h"
#include "sys.h"

#define SLEEP_MAX_NS 60000000000ull   /* the longest sleep one call takes: 60 s */
#define POLICY_NAME_MAX 15u

/* Checks that h is a CAP_T_CPU capability of self's with WRITE. */
static int cpu_cap(struct env *self, cap_handle_t h)
{
    struct cap_info ci;
    int err = cap_verify(&self->caps, h, CAP_R_WRITE);

    if (err == FB_OK)
        err = cap_lookup(&self->caps, h, &ci);
    if (err == FB_OK && ci.type != CAP_T_CPU)
        err = FB_EINVAL;
    return err;
}

/* yield(). */
int64_t sys_yield(struct env *self, const uint64_t a[6])
{
    (void)self;
    (void)a;
    sched_yield_cpu();
    return FB_OK;
}

/* yield_to(env): hands the CPU to that environment's thread. */
int64_t sys_yield_to(struct env *self, const uint64_t a[6])
{
    struct env *e;
    int err = env_from_cap(self, a[0], CAP_R_READ, &e);

    if (err != FB_OK)
        return err;
    if (e->state != EXO_ENV_RUNNING || e == self)
        return FB_EAGAIN;
    return sched_yield_to(&e->thread);
}

/* cpu_bind(cpu, mask): the caller's affinity. */
int64_t sys_cpu_bind(struct env *self, const uint64_t a[6])
{
    unsigned n = hal_cpu_count();
    uint64_t all = n >= 64 ? ~0ull : (1ull << n) - 1;
    int err = cpu_cap(self, a[0]);

    if (err != FB_OK)
        return err;
    if (a[1] == 0 || (a[1] & ~all) != 0)
        return FB_EINVAL;
    err = sched_set_affinity(&self->thread, a[1]);
    if (err == FB_OK && (a[1] & (1ull << hal_cpu_id())) == 0)
        sched_yield_cpu();
    return err;
}

/* sched_switch(cpu, policy, len): a live switch of every CPU's policy. */
int64_t sys_sched_switch(struct env *self, const uint64_t a[6])
{
    char name[POLICY_NAME_MAX + 1];
    const struct exo_sched_ops *ops;
    int err = cpu_cap(self, a[0]);

    if (err != FB_OK)
        return err;
    if (a[2] == 0 || a[2] > POLICY_NAME_MAX)
        return FB_EINVAL;
    if (hal_copy_from_user(name, (uintptr_t)a[1], (size_t)a[2]) != FB_OK)
        return FB_EFAULT;
    name[a[2]] = '\0';
    if (kstrlen(name) != a[2])
        return FB_EINVAL;
    ops = sched_policy_find(name);
    if (ops == NULL)
        return FB_ENOENT;
    return sched_set_policy(ops);
}

/* sched_info(out). */
int64_t sys_sched_info(struct env *self, const uint64_t a[6])
{
    struct exo_sched_info si = { .cpus = hal_cpu_count(), .slice_ns = sched_slice_ns() };

    (void)self;
    kstrlcpy(si.policy, sched_policy()->name, sizeof(si.policy));
    return hal_copy_to_user((uintptr_t)a[0], &si, sizeof(si));
}

/* sleep(ns). */
int64_t sys_sleep(struct env *self, const uint64_t a[6])
{
    (void)self;
    if (a[0] > SLEEP_MAX_NS)
        return FB_EINVAL;
    return sched_sleep_ns(a[0]);
}

/* sched_set_param(env, priority, tickets). */
int64_t sys_sched_set_param(struct env *self, const uint64_t a[6])
{
    struct sched_params p;
    struct env *e;
    int err = env_from_cap(self, a[0], CAP_R_WRITE, &e);

    if (err != FB_OK)
        return err;
    if (a[1] > SCHED_PRIO_MAX || a[2] == 0 || a[2] > SCHED_MAX_TICKETS)
        return FB_EINVAL;
    p.priority = (unsigned)a[1];
    p.tickets = (unsigned)a[2];
    return env_set_param(e, &p);
}

/* cpu_stats(cpu, out). */
int64_t sys_cpu_stats(struct env *self, const uint64_t a[6])
{
    struct sched_cpu_stats st;
    struct exo_cpu_stats out;
    int err;

    (void)self;
    if (a[0] >= hal_cpu_count())
        return FB_EINVAL;
    err = sched_cpu_stats((unsigned)a[0], &st);
    if (err != FB_OK)
        return err;
    out = (struct exo_cpu_stats){ st.switches, st.preemptions, st.ticks, st.steals,
                                  st.idle_waits };
    return hal_copy_to_user((uintptr_t)a[1], &out, sizeof(out));
}

/* irq_bind(irq): interrupts of the line go to the caller, on its CPU. */
int64_t sys_irq_bind(struct env *self, const uint64_t a[6])
{
    return irq_bind(&self->caps, a[0], hal_cpu_id());
}

/* irq_unbind(irq). */
int64_t sys_irq_unbind(struct env *self, const uint64_t a[6])
{
    return irq_unbind(&self->caps, a[0]);
}

/* irq_wait(irq): blocks until an interrupt; returns how many arrived. */
int64_t sys_irq_wait(struct env *self, const uint64_t a[6])
{
    uint32_t count = 0;
    int err = irq_wait(&self->caps, a[0], &count);

    return err != FB_OK ? err : (int64_t)count;
}

/* irq_ack(irq): unmasks the line again. */
int64_t sys_irq_ack(struct env *self, const uint64_t a[6])
{
    return irq_ack(&self->caps, a[0]);
}

/* irq_poll(irq): interrupts pending, without blocking. */
int64_t sys_irq_poll(struct env *self, const uint64_t a[6])
{
    uint32_t count = 0;
    int err = irq_poll(&self->caps, a[0], &count);

    return err != FB_OK ? err : (int64_t)count;
}

/* dma_alloc(pa_out): a zeroed buffer below 4 GiB from the kernel's pool. */
int64_t sys_dma_alloc(struct env *self, const uint64_t a[6])
{
    struct dma_pool *pool = env_system()->dma;
    cap_handle_t h;
    uint64_t pa = 0;
    void *kva;
    int err;

    if (pool == NULL)
        return FB_ENOTSUP;
    /* Checked first so that a bad pointer allocates nothing. */
    if (hal_copy_to_user((uintptr_t)a[0], &pa, sizeof(pa)) != FB_OK)
        return FB_EFAULT;
    err = dma_alloc(pool, &self->caps, &h, &pa, &kva);
    if (err == FB_ENOMEM && dma_pool_reclaim(pool, NULL) == FB_OK)
        err = dma_alloc(pool, &self->caps, &h, &pa, &kva);   /* roots deleted by hand */
    if (err != FB_OK)
        return err;
    err = umem_adopt_dma(self, pa);
    if (err == FB_OK && hal_copy_to_user((uintptr_t)a[0], &pa, sizeof(pa)) != FB_OK) {
        umem_release(self, pa);
        err = FB_EFAULT;
    }
    if (err != FB_OK) {
        dma_free(pool, &self->caps, h);
        return err;
    }
    return (int64_t)h;
}

/* The page of a DMA root capability of self's that is not mapped:
 * FB_OK with *pa; FB_EBUSY while mapped; FB_ENOENT for anything else
 * (another type, a copy), which dma_free and cap_delete then judge. */
static int unmapped_dma_root(struct env *self, cap_handle_t h, uint64_t *pa)
{
    struct umem_facts f;
    struct cap_info ci;

    if (cap_lookup(&self->caps, h, &ci) != FB_OK || ci.type != CAP_T_DMA || ci.depth != 0 ||
        umem_info(ci.object, &f) != FB_OK || !f.dma)
        return FB_ENOENT;
    *pa = ci.object;
    return f.maps != 0 ? FB_EBUSY : FB_OK;
}

/* Drops the record of a DMA root about to go (cap_delete, dma_free);
 * FB_EBUSY while the buffer is mapped. */
int sys_dma_forget(struct env *self, cap_handle_t h)
{
    uint64_t pa;
    int err = unmapped_dma_root(self, h, &pa);

    if (err == FB_ENOENT)
        return FB_OK;
    if (err == FB_OK)
        umem_release(self, pa);
    return err;
}

/* dma_free(buf): refused while the buffer is mapped. */
int64_t sys_dma_free(struct env *self, const uint64_t a[6])
{
    struct dma_pool *pool = env_system()->dma;
    int err;

    if (pool == NULL)
        return FB_ENOTSUP;
    err = sys_dma_forget(self, a[0]);
    return err != FB_OK ? err : dma_free(pool, &self->caps, a[0]);
}

/* dma_info(out). */
int64_t sys_dma_info(struct env *self, const uint64_t a[6])
{
    struct dma_pool *pool = env_system()->dma;
    struct dma_pool_stats st;
    struct exo_dma_info out;

    (void)self;
    if (pool == NULL)
        return FB_ENOTSUP;
    dma_pool_stats(pool, &st);
    out = (struct exo_dma_info){ st.buf_size, st.live, st.capacity, st.allocs };
    return hal_copy_to_user((uintptr_t)a[0], &out, sizeof(out));
}
