/* Fuzz target for the ELF64 parser and loader: the input is an ELF file.
 * A failed parse must return a documented code and leave zeroes; a
 * successful one must describe only user pages, W^X segments that share
 * no page, and an entry in an executable segment. The image is then
 * loaded into a small pool of fake pages (handed out dirty) and every
 * page is checked against the file: file bytes where a segment has them,
 * zero everywhere else. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "elf.h"
#include "fuzz_util.h"
#include "hal/aspace.h"
#include "kerr.h"

#define PG        ((uint64_t)HAL_PAGE_SIZE)
#define MAX_PAGES 32   /* pages one load may take; more get FB_ENOMEM */
#define FLAGS_ALL (HAL_MAP_READ | HAL_MAP_WRITE | HAL_MAP_EXEC | HAL_MAP_USER)

struct pool {
    const struct elf_image *img;
    uint8_t pages[MAX_PAGES][HAL_PAGE_SIZE];
    uint64_t va[MAX_PAGES];
    size_t n;
};

static struct pool pool;

/* The segment whose pages include va, or NULL. */
static const struct elf_segment *seg_of_page(const struct elf_image *img, uint64_t va)
{
    for (uint32_t i = 0; i < img->nsegs; i++) {
        const struct elf_segment *s = &img->segs[i];
        if (va >= (s->vaddr & ~(PG - 1)) && va < s->vaddr + s->memsz)
            return s;
    }
    return NULL;
}

/* Hands out the next dirty page after checking what the loader asks for. */
static int pool_page(void *ctx, uintptr_t va, uint32_t flags, void **kpage)
{
    struct pool *p = ctx;
    const struct elf_segment *s = seg_of_page(p->img, va);

    check(va % PG == 0 && va >= p->img->va_lo && va < p->img->va_hi);
    check(s != NULL && flags == s->flags);
    for (size_t i = 0; i < p->n; i++)
        check(p->va[i] != va);
    if (p->n == MAX_PAGES)
        return FB_ENOMEM;
    memset(p->pages[p->n], 0x5a, PG);
    p->va[p->n] = va;
    *kpage = p->pages[p->n++];
    return FB_OK;
}

/* A successful parse respects every bound elf.h promises. */
static void check_image(const struct elf_image *img, size_t size)
{
    uint64_t total = 0;
    bool entry_ok = false;

    check(img->nsegs >= 1 && img->nsegs <= ELF_MAX_SEGMENTS);
    check(img->brand <= ELF_BRAND_UNKNOWN && img->note_brand <= ELF_BRAND_UNKNOWN);
    check(img->va_lo % PG == 0 && img->va_hi % PG == 0 && img->va_lo < img->va_hi);
    for (uint32_t i = 0; i < img->nsegs; i++) {
        const struct elf_segment *s = &img->segs[i];
        uint64_t lo = s->vaddr & ~(PG - 1);
        uint64_t hi = (s->vaddr + s->memsz + PG - 1) & ~(PG - 1);
        check(s->memsz > 0 && s->filesz <= s->memsz);
        check(s->offset <= size && s->filesz <= size - s->offset);
        check(s->vaddr >= HAL_USER_BASE && s->memsz <= HAL_USER_TOP - s->vaddr);
        check(s->vaddr % PG == s->offset % PG);
        check(lo >= img->va_lo && hi <= img->va_hi);
        check((s->flags & ~FLAGS_ALL) == 0);
        check((s->flags & HAL_MAP_USER) && (s->flags & HAL_MAP_READ));
        check(!((s->flags & HAL_MAP_WRITE) && (s->flags & HAL_MAP_EXEC)));
        for (uint32_t j = i + 1; j < img->nsegs; j++) {
            const struct elf_segment *t = &img->segs[j];
            check(hi <= (t->vaddr & ~(PG - 1)) || t->vaddr + t->memsz <= lo);
        }
        if ((s->flags & HAL_MAP_EXEC) && img->entry >= s->vaddr && img->entry - s->vaddr < s->memsz)
            entry_ok = true;
        total += hi - lo;
    }
    check(total <= ELF_MAX_IMAGE_BYTES);
    check(entry_ok);
}

/* Every loaded page holds the file's bytes where a segment has them and
 * zero everywhere else. */
static void check_pages(const struct elf_image *img, const uint8_t *data)
{
    for (size_t p = 0; p < pool.n; p++) {
        const struct elf_segment *s = seg_of_page(img, pool.va[p]);
        for (uint64_t i = 0; i < PG; i++) {
            uint64_t va = pool.va[p] + i;
            bool in_file = va >= s->vaddr && va - s->vaddr < s->filesz;
            check(pool.pages[p][i] == (in_file ? data[s->offset + (va - s->vaddr)] : 0));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct elf_image zero;
    static struct elf_image img;

    int err = elf_parse(data, size, &img);
    if (err != FB_OK) {
        check(err == FB_EINVAL || err == FB_ENOTSUP || err == FB_ETRUNC || err == FB_ERANGE ||
              err == FB_EFAULT || err == FB_EALIGN || err == FB_EPERM);
        check(memcmp(&img, &zero, sizeof zero) == 0);
        return 0;
    }
    check_image(&img, size);
    pool.img = &img;
    pool.n = 0;
    err = elf_load(&img, data, size, pool_page, &pool);
    check(err == FB_OK || err == FB_ENOMEM);
    if (err == FB_OK)
        check_pages(&img, data);
    return 0;
}
