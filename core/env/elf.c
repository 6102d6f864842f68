/* ELF64 parser and segment loader for static x86_64 executables. The
 * file is untrusted: every field is range-checked before it is used,
 * every read lies inside a length already checked against the file, and
 * all arithmetic on file values is done so that it cannot wrap. */
#include "elf.h"

#include "hal/aspace.h"
#include "kerr.h"
#include "kstring.h"

#define EHDR_SIZE   64u
#define PHDR_SIZE   56u
#define NOTE_HDR    12u  /* namesz, descsz, type */
#define PAGE        ((uint64_t)HAL_PAGE_SIZE)

/* e_ident and ELF header fields used here. */
#define EI_CLASS    4
#define EI_DATA     5
#define EI_VERSION  6
#define EI_OSABI    7
#define ELFCLASS64  2
#define ELFDATA2LSB 1
#define EV_CURRENT  1
#define ET_EXEC     2
#define ET_DYN      3
#define EM_X86_64   62
#define E_TYPE      16
#define E_MACHINE   18
#define E_VERSION   20
#define E_ENTRY     24
#define E_PHOFF     32
#define E_EHSIZE    52
#define E_PHENTSIZE 54
#define E_PHNUM     56

/* Program header types and flags. */
#define PT_LOAD     1
#define PT_DYNAMIC  2
#define PT_INTERP   3
#define PT_NOTE     4
#define PF_X        1u
#define PF_W        2u

/* EI_OSABI values that name a brand. */
#define ELFOSABI_SYSV    0
#define ELFOSABI_GNU     3
#define ELFOSABI_SOLARIS 6
#define ELFOSABI_FREEBSD 9

/* ABI notes: GNU ".note.ABI-tag" (desc: os, major, minor, sub) and the
 * FreeBSD ABI tag (desc: __FreeBSD_version). */
#define NT_ABI_TAG      1
#define GNU_ABI_DESC    16u
#define FREEBSD_DESC    4u
#define GNU_OS_LINUX    0
#define GNU_OS_SOLARIS  2
#define GNU_OS_FREEBSD  3

/* One program header, copied out of the file. */
struct phdr {
    uint32_t type;
    uint32_t flags;
    uint64_t offset;
    uint64_t vaddr;
    uint64_t filesz;
    uint64_t memsz;
    uint64_t align;
};

/* Little-endian field reads at any alignment (x86_64 is little-endian). */
static uint16_t rd16(const uint8_t *p)
{
    uint16_t v;
    kmemcpy(&v, p, sizeof v);
    return v;
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    kmemcpy(&v, p, sizeof v);
    return v;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    kmemcpy(&v, p, sizeof v);
    return v;
}

/* The page holding address a, and the first page boundary at or above it. */
static uint64_t page_down(uint64_t a) { return a & ~(PAGE - 1); }
static uint64_t page_up(uint64_t a) { return (a + PAGE - 1) & ~(PAGE - 1); }

/* True when [off, off + n) lies inside a file of len bytes. */
static bool in_file(uint64_t off, uint64_t n, size_t len)
{
    return off <= len && n <= len - off;
}

/* Copies one program header out of the (already bounds-checked) table. */
static void phdr_read(const uint8_t *ph, struct phdr *h)
{
    h->type = rd32(ph);
    h->flags = rd32(ph + 4);
    h->offset = rd64(ph + 8);
    h->vaddr = rd64(ph + 16);
    h->filesz = rd64(ph + 32);
    h->memsz = rd64(ph + 40);
    h->align = rd64(ph + 48);
}

/* Checks the ELF header: FB_OK or the error elf_parse documents. */
static int ehdr_check(const uint8_t *e)
{
    static const uint8_t magic[4] = { 0x7f, 'E', 'L', 'F' };

    if (kmemcmp(e, magic, sizeof magic) != 0 || e[EI_CLASS] != ELFCLASS64 ||
        e[EI_DATA] != ELFDATA2LSB || e[EI_VERSION] != EV_CURRENT)
        return FB_EINVAL;
    uint16_t type = rd16(e + E_TYPE);
    if (type == ET_DYN)
        return FB_ENOTSUP;
    if (type != ET_EXEC)
        return FB_EINVAL;
    if (rd16(e + E_MACHINE) != EM_X86_64)
        return FB_ENOTSUP;
    if (rd32(e + E_VERSION) != EV_CURRENT || rd16(e + E_EHSIZE) != EHDR_SIZE ||
        rd16(e + E_PHENTSIZE) != PHDR_SIZE)
        return FB_EINVAL;
    return FB_OK;
}

/* Validates a PT_LOAD and appends it to out unless it is empty. */
static int load_add(const struct phdr *h, size_t len, struct elf_image *out, uint64_t *total)
{
    if (h->filesz > h->memsz)
        return FB_EINVAL;
    if (!in_file(h->offset, h->filesz, len))
        return FB_ETRUNC;
    if (h->memsz == 0)
        return FB_OK;
    if ((h->align & (h->align - 1)) != 0 || h->vaddr % PAGE != h->offset % PAGE)
        return FB_EALIGN;
    if (h->vaddr < HAL_USER_BASE || h->vaddr >= HAL_USER_TOP ||
        h->memsz > HAL_USER_TOP - h->vaddr)
        return FB_EFAULT;
    if ((h->flags & PF_W) && (h->flags & PF_X))
        return FB_EPERM;
    if (out->nsegs == ELF_MAX_SEGMENTS)
        return FB_ERANGE;
    /* No wrap: each span is below HAL_USER_TOP and the running total is
     * capped long before 64 bits. */
    *total += page_up(h->vaddr + h->memsz) - page_down(h->vaddr);
    if (*total > ELF_MAX_IMAGE_BYTES)
        return FB_ERANGE;
    struct elf_segment *s = &out->segs[out->nsegs++];
    s->vaddr = h->vaddr;
    s->memsz = h->memsz;
    s->filesz = h->filesz;
    s->offset = h->offset;
    s->flags = HAL_MAP_USER | HAL_MAP_READ | ((h->flags & PF_W) ? HAL_MAP_WRITE : 0) |
               ((h->flags & PF_X) ? HAL_MAP_EXEC : 0);
    return FB_OK;
}

/* The brand an EI_OSABI byte names. */
static enum elf_brand osabi_brand(uint8_t osabi)
{
    switch (osabi) {
    case ELFOSABI_SYSV: return ELF_BRAND_NATIVE;
    case ELFOSABI_GNU: return ELF_BRAND_LINUX;
    case ELFOSABI_SOLARIS: return ELF_BRAND_ILLUMOS;
    case ELFOSABI_FREEBSD: return ELF_BRAND_FREEBSD;
    default: return ELF_BRAND_UNKNOWN;
    }
}

/* The brand the OS word of a GNU ABI tag names. */
static enum elf_brand gnu_os_brand(uint32_t os)
{
    switch (os) {
    case GNU_OS_LINUX: return ELF_BRAND_LINUX;
    case GNU_OS_SOLARIS: return ELF_BRAND_ILLUMOS;
    case GNU_OS_FREEBSD: return ELF_BRAND_FREEBSD;
    default: return ELF_BRAND_UNKNOWN;
    }
}

/* Records one note if it is an ABI note; notes that disagree make the
 * note brand UNKNOWN. FB_EINVAL for an ABI note with a short descriptor. */
static int note_use(const uint8_t *name, uint32_t namesz, uint32_t type, const uint8_t *desc,
                    uint32_t descsz, struct elf_image *out)
{
    enum elf_brand b;

    if (type != NT_ABI_TAG)
        return FB_OK;
    if (namesz == 4 && kmemcmp(name, "GNU", 4) == 0) {
        if (descsz < GNU_ABI_DESC)
            return FB_EINVAL;
        b = gnu_os_brand(rd32(desc));
    } else if (namesz == 8 && kmemcmp(name, "FreeBSD", 8) == 0) {
        if (descsz < FREEBSD_DESC)
            return FB_EINVAL;
        b = ELF_BRAND_FREEBSD;
    } else {
        return FB_OK;
    }
    if (out->has_abi_note && out->note_brand != b)
        b = ELF_BRAND_UNKNOWN;
    out->has_abi_note = true;
    out->note_brand = b;
    return FB_OK;
}

/* Walks the notes of a PT_NOTE whose bytes are already known to lie in
 * the file. Offsets stay below n, so the padding arithmetic cannot wrap. */
static int notes_scan(const struct phdr *h, const uint8_t *file, size_t len,
                      struct elf_image *out)
{
    uint64_t a = h->align <= 4 ? 4 : 8;

    if (h->align != 0 && h->align != 1 && h->align != 2 && h->align != 4 && h->align != 8)
        return FB_EALIGN;
    if (!in_file(h->offset, h->filesz, len))
        return FB_ETRUNC;
    if (h->offset % a != 0)
        return FB_EALIGN;
    const uint8_t *p = file + h->offset;
    uint64_t n = h->filesz;
    for (uint64_t off = 0; off < n;) {
        if (n - off < NOTE_HDR)
            return FB_ETRUNC;
        uint32_t namesz = rd32(p + off);
        uint32_t descsz = rd32(p + off + 4);
        uint32_t type = rd32(p + off + 8);
        uint64_t name = off + NOTE_HDR;
        if (namesz > n - name)
            return FB_ETRUNC;
        uint64_t desc = (name + namesz + a - 1) & ~(a - 1);
        if (desc > n || descsz > n - desc)
            return FB_ETRUNC;
        int err = note_use(p + name, namesz, type, p + desc, descsz, out);
        if (err != FB_OK)
            return err;
        off = (desc + descsz + a - 1) & ~(a - 1);
    }
    return FB_OK;
}

/* True when two segments touch a common page. */
static bool pages_overlap(const struct elf_segment *a, const struct elf_segment *b)
{
    return page_down(a->vaddr) < page_up(b->vaddr + b->memsz) &&
           page_down(b->vaddr) < page_up(a->vaddr + a->memsz);
}

/* Checks what needs every segment: no shared pages, entry executable;
 * then fills the address range and the program header address. */
static int image_finish(struct elf_image *out, uint64_t phoff, uint64_t phsize)
{
    bool entry_ok = false;

    if (out->nsegs == 0)
        return FB_EINVAL;
    out->va_lo = HAL_USER_TOP;
    for (uint32_t i = 0; i < out->nsegs; i++) {
        const struct elf_segment *s = &out->segs[i];
        for (uint32_t j = i + 1; j < out->nsegs; j++)
            if (pages_overlap(s, &out->segs[j]))
                return FB_EINVAL;
        if ((s->flags & HAL_MAP_EXEC) && out->entry >= s->vaddr &&
            out->entry - s->vaddr < s->memsz)
            entry_ok = true;
        if (page_down(s->vaddr) < out->va_lo)
            out->va_lo = page_down(s->vaddr);
        if (page_up(s->vaddr + s->memsz) > out->va_hi)
            out->va_hi = page_up(s->vaddr + s->memsz);
        if (phoff >= s->offset && phoff - s->offset <= s->filesz &&
            phsize <= s->filesz - (phoff - s->offset))
            out->phdr_vaddr = s->vaddr + (phoff - s->offset);
    }
    return entry_ok ? FB_OK : FB_EINVAL;
}

/* Validates the header, then every program header, then the whole. */
static int parse(const uint8_t *e, size_t len, struct elf_image *out)
{
    uint64_t total = 0;

    if (len < EHDR_SIZE)
        return FB_ETRUNC;
    int err = ehdr_check(e);
    if (err != FB_OK)
        return err;
    uint64_t phoff = rd64(e + E_PHOFF);
    uint16_t phnum = rd16(e + E_PHNUM);
    if (phnum > ELF_MAX_PHDRS)
        return FB_ERANGE;
    if (!in_file(phoff, (uint64_t)phnum * PHDR_SIZE, len))
        return FB_ETRUNC;
    out->entry = rd64(e + E_ENTRY);
    out->phnum = phnum;
    out->osabi = e[EI_OSABI];
    for (uint16_t i = 0; i < phnum && err == FB_OK; i++) {
        struct phdr h;
        phdr_read(e + phoff + (uint64_t)i * PHDR_SIZE, &h);
        if (h.type == PT_INTERP || h.type == PT_DYNAMIC)
            err = FB_ENOTSUP;
        else if (h.type == PT_LOAD)
            err = load_add(&h, len, out, &total);
        else if (h.type == PT_NOTE)
            err = notes_scan(&h, e, len, out);
    }
    if (err != FB_OK)
        return err;
    return image_finish(out, phoff, (uint64_t)phnum * PHDR_SIZE);
}

/* The verdict of OSABI and notes, as elf.h describes it. */
static enum elf_brand brand_of(const struct elf_image *img)
{
    enum elf_brand ob = osabi_brand(img->osabi);

    if (!img->has_abi_note)
        return ob;
    if (img->osabi == ELFOSABI_SYSV)
        return img->note_brand;
    return img->note_brand == ob ? ob : ELF_BRAND_UNKNOWN;
}

/* Validates an image; on failure leaves *out zeroed. */
int elf_parse(const void *image, size_t len, struct elf_image *out)
{
    if (out == NULL)
        return FB_EINVAL;
    kmemset(out, 0, sizeof *out);
    if (image == NULL)
        return FB_EINVAL;
    int err = parse(image, len, out);
    if (err != FB_OK) {
        kmemset(out, 0, sizeof *out);
        return err;
    }
    out->brand = brand_of(out);
    return FB_OK;
}

/* Fills every page of one segment: file bytes, zero around them. */
static int seg_load(const struct elf_segment *s, const uint8_t *src, elf_page_fn page, void *ctx)
{
    uint64_t fend = s->vaddr + s->filesz;

    for (uint64_t va = page_down(s->vaddr); va < s->vaddr + s->memsz; va += PAGE) {
        void *kp = NULL;
        int err = page(ctx, (uintptr_t)va, s->flags, &kp);
        if (err != FB_OK)
            return err;
        if (kp == NULL)
            return FB_EINVAL;
        uint8_t *k = kp;
        uint64_t lo = va > s->vaddr ? va : s->vaddr;
        uint64_t hi = va + PAGE < fend ? va + PAGE : fend;
        if (lo >= hi) {
            kmemset(k, 0, PAGE);
            continue;
        }
        kmemset(k, 0, lo - va);
        kmemcpy(k + (lo - va), src + (lo - s->vaddr), hi - lo);
        kmemset(k + (hi - va), 0, va + PAGE - hi);
    }
    return FB_OK;
}

/* Loads every segment of a parsed image through the page callback. */
int elf_load(const struct elf_image *img, const void *image, size_t len, elf_page_fn page,
             void *ctx)
{
    if (img == NULL || image == NULL || page == NULL || img->nsegs == 0 ||
        img->nsegs > ELF_MAX_SEGMENTS)
        return FB_EINVAL;
    for (uint32_t i = 0; i < img->nsegs; i++)
        if (!in_file(img->segs[i].offset, img->segs[i].filesz, len))
            return FB_ETRUNC;
    for (uint32_t i = 0; i < img->nsegs; i++) {
        int err = seg_load(&img->segs[i], (const uint8_t *)image + img->segs[i].offset, page, ctx);
        if (err != FB_OK)
            return err;
    }
    return FB_OK;
}
