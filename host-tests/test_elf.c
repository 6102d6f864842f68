/* Specification of the ELF64 parser and loader (core/env/elf.c): a valid
 * static executable is built byte by byte in memory, then broken one
 * field at a time. Its layout:
 *   headers  R   file 0x0000  va 0x400000  0x700 bytes (phdrs at 0x40, notes at 0x600)
 *   text     RX  file 0x1000  va 0x401000  0x123 bytes, entry 0x401010
 *   rodata   R   file 0x2000  va 0x402000  0x80 bytes
 *   data+bss RW  file 0x3010  va 0x404010  0x40 bytes in the file, 0x2000 in memory
 *   GNU_STACK (ignored) */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elf.h"
#include "expect.h"
#include "hal/aspace.h"
#include "kerr.h"

#define PG        0x1000u
#define IMG_MAX   0x4000u
#define PH_AT     0x40u
#define NOTE_AT   0x600u
#define HDR_LEN   0x700u
#define ENTRY     0x401010u
#define FULL_LEN  0x3050u
#define BASE      0x400000u
#define NPAGES    8u           /* pages from BASE the loader may ask for */

/* Program header indexes in the good image. */
enum { PH_HDR, PH_TEXT, PH_RODATA, PH_DATA, PH_STACK };

/* Program header field offsets. */
enum { P_TYPE = 0, P_FLAGS = 4, P_OFFSET = 8, P_VADDR = 16, P_FILESZ = 32, P_MEMSZ = 40,
       P_ALIGN = 48 };

#define PT_LOAD 1u
#define PT_DYNAMIC 2u
#define PT_INTERP 3u
#define PT_NOTE 4u
#define PT_GNU_STACK 0x6474e551u
#define PF_X 1u
#define PF_W 2u
#define PF_R 4u

static uint8_t img[IMG_MAX];
static size_t img_len;
static size_t note_ph;     /* file offset of the PT_NOTE header, 0 = none */
static size_t note_len;    /* bytes of notes written */
static struct elf_image ei;

/* Little-endian stores into the image. */
static void put16(size_t at, uint16_t v) { memcpy(img + at, &v, 2); }
static void put32(size_t at, uint32_t v) { memcpy(img + at, &v, 4); }
static void put64(size_t at, uint64_t v) { memcpy(img + at, &v, 8); }

static uint16_t phnum(void)
{
    uint16_t n;
    memcpy(&n, img + 56, 2);
    return n;
}

/* File offset of program header i. */
static size_t ph(unsigned i) { return PH_AT + 56u * i; }

/* Appends a program header; returns its file offset. */
static size_t ph_add(uint32_t type, uint32_t flags, uint64_t off, uint64_t va, uint64_t filesz,
                     uint64_t memsz, uint64_t align)
{
    size_t at = ph(phnum());

    put32(at + P_TYPE, type);
    put32(at + P_FLAGS, flags);
    put64(at + P_OFFSET, off);
    put64(at + P_VADDR, va);
    put64(at + 24, va);
    put64(at + P_FILESZ, filesz);
    put64(at + P_MEMSZ, memsz);
    put64(at + P_ALIGN, align);
    put16(56, (uint16_t)(phnum() + 1));
    return at;
}

/* Builds the good image described at the top of this file. */
static void build(void)
{
    memset(img, 0, sizeof img);
    memcpy(img, "\x7f" "ELF", 4);
    img[4] = 2;           /* ELFCLASS64 */
    img[5] = 1;           /* little endian */
    img[6] = 1;           /* EV_CURRENT */
    put16(16, 2);         /* ET_EXEC */
    put16(18, 62);        /* EM_X86_64 */
    put32(20, 1);
    put64(24, ENTRY);
    put64(32, PH_AT);
    put16(52, 64);
    put16(54, 56);
    for (size_t i = 0x1000; i < FULL_LEN; i++)
        img[i] = (uint8_t)(i * 7 + 3);
    ph_add(PT_LOAD, PF_R, 0, BASE, HDR_LEN, HDR_LEN, PG);
    ph_add(PT_LOAD, PF_R | PF_X, 0x1000, 0x401000, 0x123, 0x123, PG);
    ph_add(PT_LOAD, PF_R, 0x2000, 0x402000, 0x80, 0x80, PG);
    ph_add(PT_LOAD, PF_R | PF_W, 0x3010, 0x404010, 0x40, 0x2000, PG);
    ph_add(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16);
    img_len = FULL_LEN;
    note_ph = 0;
    note_len = 0;
}

static size_t align_up(size_t x, size_t a) { return (x + a - 1) & ~(a - 1); }

/* Appends a note padded to `align` (4 or 8), adding the PT_NOTE on first use. */
static void note_add(const char *name, uint32_t namesz, uint32_t type, const void *desc,
                     uint32_t descsz, size_t align)
{
    size_t at = NOTE_AT + note_len;

    if (note_ph == 0)
        note_ph = ph_add(PT_NOTE, PF_R, NOTE_AT, BASE + NOTE_AT, 0, 0, align);
    put32(at, namesz);
    put32(at + 4, descsz);
    put32(at + 8, type);
    memcpy(img + at + 12, name, namesz);
    size_t d = align_up(12 + namesz, align);
    memcpy(img + at + d, desc, descsz);
    note_len += align_up(d + descsz, align);
    put64(note_ph + P_FILESZ, note_len);
    put64(note_ph + P_MEMSZ, note_len);
}

/* A GNU ".note.ABI-tag" naming OS `os` (0 Linux, 2 Solaris, 3 FreeBSD). */
static void gnu_abi_note(uint32_t os)
{
    uint32_t desc[4] = { os, 3, 2, 0 };
    note_add("GNU", 4, 1, desc, sizeof desc, 4);
}

/* A FreeBSD ABI note. */
static void freebsd_abi_note(void)
{
    uint32_t version = 1400097;
    note_add("FreeBSD", 8, 1, &version, 4, 4);
}

static int parse(void) { return elf_parse(img, img_len, &ei); }

/* Parses and checks that a failure left *out zeroed. */
static int parse_bad(void)
{
    static const struct elf_image zero;
    int err = parse();

    cr_assert(memcmp(&ei, &zero, sizeof zero) == 0, "a failed parse leaves zeroes");
    return err;
}

/* ---- the page callback: NPAGES pages from BASE, pre-filled with 0xAA ---- */

static uint8_t pool[NPAGES][PG];
static uint32_t pool_flags[NPAGES];
static unsigned pool_calls[NPAGES];
static unsigned calls;
static unsigned fail_at;       /* 1-based call that fails, 0 = none */
static bool give_null;

static int test_page(void *ctx, uintptr_t va, uint32_t flags, void **kpage)
{
    cr_assert_eq(ctx, (void *)pool, "the callback gets the caller's ctx");
    cr_assert_eq(va % PG, 0, "va 0x%lx is page aligned", (unsigned long)va);
    cr_assert(va >= BASE && va < BASE + NPAGES * PG, "va 0x%lx in the test range",
              (unsigned long)va);
    if (++calls == fail_at)
        return FB_ENOMEM;
    size_t i = (va - BASE) / PG;
    pool_calls[i]++;
    pool_flags[i] = flags;
    *kpage = give_null ? NULL : pool[i];
    return FB_OK;
}

static void pool_reset(void)
{
    memset(pool, 0xAA, sizeof pool);
    memset(pool_flags, 0, sizeof pool_flags);
    memset(pool_calls, 0, sizeof pool_calls);
    calls = 0;
    fail_at = 0;
    give_null = false;
}

static int load(void) { return elf_load(&ei, img, img_len, test_page, pool); }

/* True when page p holds file bytes [off, off + n) at in-page offset at, zero elsewhere. */
static bool page_is(unsigned p, size_t at, size_t off, size_t n)
{
    for (size_t i = 0; i < PG; i++) {
        uint8_t want = (i >= at && i < at + n) ? img[off + i - at] : 0;
        if (pool[p][i] != want)
            return false;
    }
    return true;
}

/* ---- a valid image ---- */

Test(elf, parses_a_static_executable)
{
    build();
    expect(parse(), FB_OK);
    cr_assert_eq(ei.entry, ENTRY);
    cr_assert_eq(ei.nsegs, 4, "four PT_LOADs, got %u", ei.nsegs);
    cr_assert_eq(ei.segs[1].vaddr, 0x401000);
    cr_assert_eq(ei.segs[1].filesz, 0x123);
    cr_assert_eq(ei.segs[1].offset, 0x1000);
    cr_assert_eq(ei.segs[3].vaddr, 0x404010);
    cr_assert_eq(ei.segs[3].memsz, 0x2000);
    cr_assert_eq(ei.segs[3].filesz, 0x40);
    cr_assert_eq(ei.va_lo, BASE);
    cr_assert_eq(ei.va_hi, 0x407000, "va_hi 0x%lx", (unsigned long)ei.va_hi);
    cr_assert_eq(ei.phdr_vaddr, BASE + PH_AT);
    cr_assert_eq(ei.phnum, 5);
}

Test(elf, maps_segment_flags_to_hal_flags)
{
    build();
    expect(parse(), FB_OK);
    cr_assert_eq(ei.segs[0].flags, HAL_MAP_USER | HAL_MAP_READ);
    cr_assert_eq(ei.segs[1].flags, HAL_MAP_USER | HAL_MAP_READ | HAL_MAP_EXEC);
    cr_assert_eq(ei.segs[2].flags, HAL_MAP_USER | HAL_MAP_READ);
    cr_assert_eq(ei.segs[3].flags, HAL_MAP_USER | HAL_MAP_READ | HAL_MAP_WRITE);
}

Test(elf, execute_only_segment_is_still_readable)
{
    build();
    put32(ph(PH_TEXT) + P_FLAGS, PF_X);
    expect(parse(), FB_OK);
    cr_assert_eq(ei.segs[1].flags, HAL_MAP_USER | HAL_MAP_READ | HAL_MAP_EXEC);
}

Test(elf, loads_file_bytes_and_zero_fills_the_rest)
{
    build();
    expect(parse(), FB_OK);
    pool_reset();
    expect(load(), FB_OK);
    cr_assert(page_is(0, 0, 0, HDR_LEN), "headers page: file bytes, then zeroes");
    cr_assert(page_is(1, 0, 0x1000, 0x123), "text page: file bytes, then zeroes");
    cr_assert(page_is(2, 0, 0x2000, 0x80), "rodata page: file bytes, then zeroes");
    cr_assert(page_is(4, 0x10, 0x3010, 0x40), "first data page: zero head, data, zero bss");
    cr_assert(page_is(5, 0, 0, 0), "second bss page is all zero");
    cr_assert(page_is(6, 0, 0, 0), "last bss page is all zero");
}

Test(elf, asks_once_for_each_page_with_its_segments_flags)
{
    static const uint32_t want[NPAGES] = {
        HAL_MAP_USER | HAL_MAP_READ,
        HAL_MAP_USER | HAL_MAP_READ | HAL_MAP_EXEC,
        HAL_MAP_USER | HAL_MAP_READ,
        0,
        HAL_MAP_USER | HAL_MAP_READ | HAL_MAP_WRITE,
        HAL_MAP_USER | HAL_MAP_READ | HAL_MAP_WRITE,
        HAL_MAP_USER | HAL_MAP_READ | HAL_MAP_WRITE,
        0,
    };

    build();
    expect(parse(), FB_OK);
    pool_reset();
    expect(load(), FB_OK);
    cr_assert_eq(calls, 6, "six distinct pages, got %u calls", calls);
    for (unsigned p = 0; p < NPAGES; p++) {
        cr_assert_eq(pool_calls[p], want[p] ? 1u : 0u, "page %u asked for %u times", p,
                     pool_calls[p]);
        cr_assert_eq(pool_flags[p], want[p], "page %u flags 0x%x, want 0x%x", p, pool_flags[p],
                     want[p]);
    }
    cr_assert_eq(pool[3][0], 0xAA, "the gap page is never touched");
}

Test(elf, callback_error_stops_the_load_and_is_returned)
{
    build();
    expect(parse(), FB_OK);
    pool_reset();
    fail_at = 3;
    expect(load(), FB_ENOMEM);
    cr_assert_eq(calls, 3, "no call after the failing one, got %u", calls);
}

Test(elf, callback_giving_no_page_is_rejected)
{
    build();
    expect(parse(), FB_OK);
    pool_reset();
    give_null = true;
    expect(load(), FB_EINVAL);
}

Test(elf, load_rejects_bytes_shorter_than_the_parsed_image)
{
    build();
    expect(parse(), FB_OK);
    pool_reset();
    expect(elf_load(&ei, img, FULL_LEN - 1, test_page, pool), FB_ETRUNC);
    cr_assert_eq(calls, 0, "nothing asked for before the check");
}

Test(elf, null_arguments_are_rejected)
{
    build();
    expect(elf_parse(NULL, img_len, &ei), FB_EINVAL);
    expect(elf_parse(img, img_len, NULL), FB_EINVAL);
    expect(parse(), FB_OK);
    expect(elf_load(NULL, img, img_len, test_page, pool), FB_EINVAL);
    expect(elf_load(&ei, NULL, img_len, test_page, pool), FB_EINVAL);
    expect(elf_load(&ei, img, img_len, NULL, pool), FB_EINVAL);
}

Test(elf, empty_load_segments_are_skipped)
{
    build();
    ph_add(PT_LOAD, PF_R | PF_W | PF_X, 0, 0, 0, 0, 3);
    expect(parse(), FB_OK);
    cr_assert_eq(ei.nsegs, 4);
}

Test(elf, p_align_zero_means_no_constraint)
{
    build();
    put64(ph(PH_TEXT) + P_ALIGN, 0);
    expect(parse(), FB_OK);
}

Test(elf, sixteen_load_segments_are_accepted)
{
    build();
    for (unsigned i = 0; i < ELF_MAX_SEGMENTS - 4; i++)
        ph_add(PT_LOAD, PF_R, 0x1000, 0x500000 + i * PG, 0, 0x100, PG);
    expect(parse(), FB_OK);
    cr_assert_eq(ei.nsegs, ELF_MAX_SEGMENTS);
}

Test(elf, image_of_exactly_the_size_cap_is_accepted)
{
    build();
    /* three single pages below, so the data segment may span cap - 3 pages */
    put64(ph(PH_DATA) + P_MEMSZ, ELF_MAX_IMAGE_BYTES - 3 * PG - 0x10);
    expect(parse(), FB_OK);
}

/* ---- the ELF header ---- */

Test(elf, rejects_input_shorter_than_the_elf_header)
{
    build();
    expect(elf_parse(img, 63, &ei), FB_ETRUNC);
}

Test(elf, rejects_bad_magic)
{
    build();
    img[1] = 'e';
    expect(parse_bad(), FB_EINVAL);
}

Test(elf, rejects_elfclass32)
{
    build();
    img[4] = 1;
    expect(parse_bad(), FB_EINVAL);
}

Test(elf, rejects_big_endian)
{
    build();
    img[5] = 2;
    expect(parse_bad(), FB_EINVAL);
}

Test(elf, rejects_ident_version_other_than_1)
{
    build();
    img[6] = 2;
    expect(parse_bad(), FB_EINVAL);
}

Test(elf, rejects_e_version_other_than_1)
{
    build();
    put32(20, 0);
    expect(parse_bad(), FB_EINVAL);
}

Test(elf, rejects_relocatable_objects)
{
    build();
    put16(16, 1);
    expect(parse_bad(), FB_EINVAL);
}

Test(elf, position_independent_executables_are_unsupported)
{
    build();
    put16(16, 3);
    expect(parse_bad(), FB_ENOTSUP);
}

Test(elf, other_machines_are_unsupported)
{
    build();
    put16(18, 183);   /* EM_AARCH64 */
    expect(parse_bad(), FB_ENOTSUP);
}

Test(elf, rejects_wrong_ehsize)
{
    build();
    put16(52, 52);
    expect(parse_bad(), FB_EINVAL);
}

Test(elf, rejects_wrong_phentsize)
{
    build();
    put16(54, 32);
    expect(parse_bad(), FB_EINVAL);
}

/* ---- the program header table ---- */

Test(elf, rejects_program_headers_past_the_file)
{
    build();
    put64(32, FULL_LEN - 56 * phnum() + 1);
    expect(parse_bad(), FB_ETRUNC);
}

Test(elf, rejects_program_header_offset_that_wraps)
{
    build();
    put64(32, UINT64_MAX - 8);
    expect(parse_bad(), FB_ETRUNC);
}

Test(elf, rejects_more_than_max_program_headers)
{
    build();
    put16(56, ELF_MAX_PHDRS + 1);
    expect(parse_bad(), FB_ERANGE);
    put16(56, 0xffff);  /* PN_XNUM: the count would be in a section header */
    expect(parse_bad(), FB_ERANGE);
}

Test(elf, rejects_no_program_headers)
{
    build();
    put16(56, 0);
    expect(parse_bad(), FB_EINVAL);
}

Test(elf, rejects_interpreter_as_unsupported)
{
    build();
    put32(ph(PH_STACK) + P_TYPE, PT_INTERP);
    expect(parse_bad(), FB_ENOTSUP);
}

Test(elf, rejects_dynamic_section_as_unsupported)
{
    build();
    put32(ph(PH_STACK) + P_TYPE, PT_DYNAMIC);
    expect(parse_bad(), FB_ENOTSUP);
}

/* ---- PT_LOAD segments ---- */

Test(elf, rejects_no_load_segment)
{
    build();
    for (unsigned i = PH_HDR; i <= PH_DATA; i++)
        put32(ph(i) + P_TYPE, 0);
    expect(parse_bad(), FB_EINVAL);
}

Test(elf, rejects_filesz_above_memsz)
{
    build();
    put64(ph(PH_RODATA) + P_FILESZ, 0x81);
    expect(parse_bad(), FB_EINVAL);
}

Test(elf, rejects_segment_bytes_past_the_file)
{
    build();
    put64(ph(PH_DATA) + P_FILESZ, 0x41);
    put64(ph(PH_DATA) + P_MEMSZ, 0x41);
    expect(parse_bad(), FB_ETRUNC);
}

Test(elf, rejects_segment_offset_plus_filesz_wrapping)
{
    build();
    put64(ph(PH_RODATA) + P_OFFSET, UINT64_MAX - 0xfff);
    put64(ph(PH_RODATA) + P_VADDR, 0x402000);
    expect(parse_bad(), FB_ETRUNC);
}

Test(elf, rejects_p_align_not_a_power_of_two)
{
    build();
    put64(ph(PH_TEXT) + P_ALIGN, 0x3000);
    expect(parse_bad(), FB_EALIGN);
}

Test(elf, rejects_vaddr_and_offset_differing_modulo_the_page)
{
    build();
    put64(ph(PH_TEXT) + P_VADDR, 0x401008);
    expect(parse_bad(), FB_EALIGN);
}

Test(elf, rejects_segment_below_the_user_base)
{
    build();
    put64(ph(PH_RODATA) + P_VADDR, HAL_USER_BASE - PG);
    expect(parse_bad(), FB_EFAULT);
}

Test(elf, rejects_segment_reaching_past_the_user_top)
{
    build();
    put64(ph(PH_RODATA) + P_VADDR, HAL_USER_TOP - PG);
    put64(ph(PH_RODATA) + P_MEMSZ, PG + 1);
    expect(parse_bad(), FB_EFAULT);
}

Test(elf, rejects_kernel_half_address)
{
    build();
    put64(ph(PH_RODATA) + P_VADDR, 0xffffffff80002000ull);
    expect(parse_bad(), FB_EFAULT);
}

Test(elf, rejects_vaddr_plus_memsz_wrapping)
{
    build();
    put64(ph(PH_RODATA) + P_MEMSZ, UINT64_MAX - 0x100);
    expect(parse_bad(), FB_EFAULT);
}

Test(elf, rejects_writable_and_executable_segment)
{
    build();
    put32(ph(PH_TEXT) + P_FLAGS, PF_R | PF_W | PF_X);
    expect(parse_bad(), FB_EPERM);
}

Test(elf, rejects_overlapping_segments)
{
    build();
    put64(ph(PH_RODATA) + P_VADDR, 0x401000);
    expect(parse_bad(), FB_EINVAL);
}

Test(elf, rejects_segments_sharing_a_page)
{
    build();
    put64(ph(PH_RODATA) + P_OFFSET, 0x2800);
    put64(ph(PH_RODATA) + P_VADDR, 0x401800);
    expect(parse_bad(), FB_EINVAL);
}

Test(elf, rejects_more_than_max_load_segments)
{
    build();
    for (unsigned i = 0; i < ELF_MAX_SEGMENTS - 3; i++)
        ph_add(PT_LOAD, PF_R, 0x1000, 0x500000 + i * PG, 0, 0x100, PG);
    expect(parse_bad(), FB_ERANGE);
}

Test(elf, rejects_image_above_the_size_cap)
{
    build();
    put64(ph(PH_DATA) + P_MEMSZ, ELF_MAX_IMAGE_BYTES - 3 * PG - 0x10 + 1);
    expect(parse_bad(), FB_ERANGE);
}

Test(elf, rejects_entry_in_a_non_executable_segment)
{
    build();
    put64(24, 0x402010);
    expect(parse_bad(), FB_EINVAL);
}

Test(elf, rejects_entry_just_past_the_text_segment)
{
    build();
    put64(24, 0x401123);
    expect(parse_bad(), FB_EINVAL);
}

/* ---- notes ---- */

Test(elf, rejects_note_segment_past_the_file)
{
    build();
    gnu_abi_note(0);
    put64(note_ph + P_OFFSET, FULL_LEN - 4);
    expect(parse_bad(), FB_ETRUNC);
}

Test(elf, rejects_note_name_running_past_its_segment)
{
    build();
    gnu_abi_note(0);
    put32(NOTE_AT, UINT32_MAX);
    expect(parse_bad(), FB_ETRUNC);
}

Test(elf, rejects_note_descriptor_running_past_its_segment)
{
    build();
    gnu_abi_note(0);
    put32(NOTE_AT + 4, UINT32_MAX);
    expect(parse_bad(), FB_ETRUNC);
}

Test(elf, rejects_partial_note_header_without_reading_past_it)
{
    build();
    gnu_abi_note(0);
    /* the last 4 bytes of the file: a note header there would run past the end */
    put64(note_ph + P_OFFSET, FULL_LEN - 4);
    put64(note_ph + P_FILESZ, 4);
    uint8_t *copy = malloc(FULL_LEN);
    cr_assert_not_null(copy);
    memcpy(copy, img, FULL_LEN);
    int err = elf_parse(copy, FULL_LEN, &ei);
    free(copy);
    expect(err, FB_ETRUNC);
}

Test(elf, rejects_note_segment_not_4_byte_aligned)
{
    build();
    gnu_abi_note(0);
    put64(note_ph + P_OFFSET, NOTE_AT + 2);
    expect(parse_bad(), FB_EALIGN);
}

Test(elf, rejects_note_alignment_other_than_4_or_8)
{
    build();
    gnu_abi_note(0);
    put64(note_ph + P_ALIGN, 16);
    expect(parse_bad(), FB_EALIGN);
}

Test(elf, rejects_gnu_abi_tag_with_short_descriptor)
{
    build();
    uint32_t os = 0;
    note_add("GNU", 4, 1, &os, 4, 4);
    expect(parse_bad(), FB_EINVAL);
}

/* ---- brands ---- */

Test(elf, sysv_without_notes_is_native)
{
    build();
    expect(parse(), FB_OK);
    cr_assert_eq(ei.osabi, 0);
    cr_assert_not(ei.has_abi_note);
    cr_assert_eq(ei.brand, ELF_BRAND_NATIVE);
}

Test(elf, notes_that_are_not_abi_notes_change_nothing)
{
    build();
    uint8_t id[20] = { 1, 2, 3 };
    note_add("GNU", 4, 3, id, sizeof id, 4);  /* NT_GNU_BUILD_ID */
    note_add("Go", 3, 1, id, 4, 4);
    expect(parse(), FB_OK);
    cr_assert_not(ei.has_abi_note);
    cr_assert_eq(ei.brand, ELF_BRAND_NATIVE);
}

Test(elf, gnu_abi_tag_for_linux_makes_a_linux_program)
{
    build();
    gnu_abi_note(0);
    expect(parse(), FB_OK);
    cr_assert(ei.has_abi_note);
    cr_assert_eq(ei.note_brand, ELF_BRAND_LINUX);
    cr_assert_eq(ei.brand, ELF_BRAND_LINUX);
}

Test(elf, freebsd_note_makes_a_freebsd_program)
{
    build();
    freebsd_abi_note();
    expect(parse(), FB_OK);
    cr_assert_eq(ei.brand, ELF_BRAND_FREEBSD);
}

Test(elf, gnu_abi_tag_names_solaris_and_freebsd_too)
{
    build();
    gnu_abi_note(2);
    expect(parse(), FB_OK);
    cr_assert_eq(ei.brand, ELF_BRAND_ILLUMOS);
    build();
    gnu_abi_note(3);
    expect(parse(), FB_OK);
    cr_assert_eq(ei.brand, ELF_BRAND_FREEBSD);
    build();
    gnu_abi_note(1);   /* GNU/Hurd */
    expect(parse(), FB_OK);
    cr_assert_eq(ei.brand, ELF_BRAND_UNKNOWN);
}

Test(elf, osabi_alone_decides_without_a_note)
{
    static const struct { uint8_t osabi; enum elf_brand brand; } cases[] = {
        { 3, ELF_BRAND_LINUX }, { 9, ELF_BRAND_FREEBSD }, { 6, ELF_BRAND_ILLUMOS },
        { 2, ELF_BRAND_UNKNOWN }, { 255, ELF_BRAND_UNKNOWN },
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        build();
        img[7] = cases[i].osabi;
        expect(parse(), FB_OK);
        cr_assert_eq(ei.osabi, cases[i].osabi);
        cr_assert_eq(ei.brand, cases[i].brand, "OSABI %u: brand %d, want %d", cases[i].osabi,
                     ei.brand, cases[i].brand);
    }
}

Test(elf, osabi_and_note_that_agree_keep_the_brand)
{
    build();
    img[7] = 9;
    freebsd_abi_note();
    expect(parse(), FB_OK);
    cr_assert_eq(ei.brand, ELF_BRAND_FREEBSD);
}

Test(elf, osabi_and_note_that_disagree_are_unknown)
{
    build();
    img[7] = 9;
    gnu_abi_note(0);
    expect(parse(), FB_OK);
    cr_assert_eq(ei.note_brand, ELF_BRAND_LINUX);
    cr_assert_eq(ei.brand, ELF_BRAND_UNKNOWN);
}

Test(elf, notes_that_disagree_are_unknown)
{
    build();
    gnu_abi_note(0);
    freebsd_abi_note();
    expect(parse(), FB_OK);
    cr_assert_eq(ei.brand, ELF_BRAND_UNKNOWN);
}

Test(elf, notes_in_an_8_aligned_segment_use_8_byte_padding)
{
    build();
    uint32_t prop = 0xc0000002u;
    uint32_t abi[4] = { 0, 3, 2, 0 };
    note_add("GNU", 4, 5, &prop, 4, 8);   /* NT_GNU_PROPERTY_TYPE_0: next note at 24, not 20 */
    note_add("GNU", 4, 1, abi, sizeof abi, 8);
    expect(parse(), FB_OK);
    cr_assert_eq(ei.brand, ELF_BRAND_LINUX);
}

/* ---- truncation ---- */

Test(elf, every_truncation_is_rejected_without_reading_past_the_end)
{
    build();
    gnu_abi_note(0);
    for (size_t len = 0; len < FULL_LEN; len++) {
        /* a heap copy of exactly len bytes: ASan sees any read past it */
        uint8_t *copy = malloc(len ? len : 1);
        cr_assert_not_null(copy);
        memcpy(copy, img, len);
        int err = elf_parse(copy, len, &ei);
        free(copy);
        cr_assert_eq(err, FB_ETRUNC, "length %zu: expected FB_ETRUNC, got %s", len,
                     fb_strerror(err));
    }
    expect(parse(), FB_OK);
}
