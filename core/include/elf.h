/* ELF64 loader for static x86_64 executables: a validating parser that
 * turns untrusted file bytes into a list of loadable segments and a
 * brand (which syscall personality the program expects), and a loader
 * that copies those segments into pages its caller supplies. */
#ifndef FB_ELF_H
#define FB_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_SEGMENTS    16u          /**< PT_LOAD entries an image may have */
#define ELF_MAX_PHDRS       64u          /**< program headers an image may have */
#define ELF_MAX_IMAGE_BYTES (1ull << 30) /**< cap on the page-rounded size of all PT_LOADs */

/** Which system interface a program expects, from its EI_OSABI byte and
 *  its ABI note (see elf_parse for how the two are combined). */
enum elf_brand {
    ELF_BRAND_NATIVE = 0, /**< FeuerBird native: ELFOSABI_NONE (SYSV) and no ABI note */
    ELF_BRAND_LINUX,      /**< ELFOSABI_GNU (3) or a GNU ".note.ABI-tag" with OS 0 (Linux) */
    ELF_BRAND_FREEBSD,    /**< ELFOSABI_FREEBSD (9), a "FreeBSD" ABI note or a GNU tag with OS 3 */
    ELF_BRAND_ILLUMOS,    /**< ELFOSABI_SOLARIS (6) or a GNU tag with OS 2 (Solaris/illumos) */
    ELF_BRAND_UNKNOWN,    /**< any other OSABI or GNU tag OS, or signals that disagree */
};

/** One PT_LOAD segment, as the loader will map it. */
struct elf_segment {
    uint64_t vaddr;  /**< first user address (need not be page aligned) */
    uint64_t memsz;  /**< bytes in memory, > 0; those past filesz are zero */
    uint64_t filesz; /**< bytes copied from the file, <= memsz */
    uint64_t offset; /**< file offset of those bytes */
    uint32_t flags;  /**< HAL_MAP_USER | HAL_MAP_READ, plus HAL_MAP_WRITE or HAL_MAP_EXEC */
};

/** What elf_parse learns from a valid image. */
struct elf_image {
    uint64_t entry;                              /**< e_entry; inside an executable segment */
    struct elf_segment segs[ELF_MAX_SEGMENTS];   /**< PT_LOADs with memsz > 0, in file order */
    uint32_t nsegs;                              /**< valid entries in segs, >= 1 */
    uint64_t va_lo;                              /**< lowest user address used, page aligned */
    uint64_t va_hi;                              /**< one past the highest, page aligned */
    uint64_t phdr_vaddr;                         /**< where the program headers are mapped
                                                      (AT_PHDR), 0 when no segment holds them */
    uint16_t phnum;                              /**< e_phnum (AT_PHNUM) */
    uint8_t osabi;                               /**< the EI_OSABI byte as found */
    bool has_abi_note;                           /**< a GNU or FreeBSD ABI note was found */
    enum elf_brand note_brand;                   /**< what the ABI notes say (valid when
                                                      has_abi_note); UNKNOWN when they disagree */
    enum elf_brand brand;                        /**< the verdict from osabi and the notes */
};

/**
 * Gives the loader the page that will back user page @p va (page
 * aligned, inside [va_lo, va_hi) of the image), to be mapped with
 * @p flags (the segment's flags: HAL_MAP_USER and HAL_MAP_READ always
 * set). The callback stores a kernel-writable pointer to 4 KiB in
 * *@p kpage; its contents need not be zero, elf_load writes every byte.
 * Called once per distinct page.
 * @return FB_OK, or any error, which elf_load returns unchanged.
 */
typedef int (*elf_page_fn)(void *ctx, uintptr_t va, uint32_t flags, void **kpage);

/**
 * Validates the ELF64 image of @p len bytes at @p image and fills *@p out.
 * Only static ET_EXEC x86_64 little-endian executables are accepted. No
 * byte at or past @p len is read; section headers are ignored. PT_LOAD
 * segments with memsz 0 are skipped; program headers of types other than
 * PT_LOAD, PT_NOTE, PT_INTERP and PT_DYNAMIC are ignored. Segments may not
 * share a page (overlap is checked at page granularity), and none may be
 * both writable and executable. Every mapping is readable, as x86_64 pages
 * are.
 *
 * Notes: every PT_NOTE is walked (4-byte padding, or 8 when its p_align
 * is 8). A GNU note of type 1 (".note.ABI-tag") names the OS in its first
 * descriptor word; a "FreeBSD" note of type 1 says FreeBSD; other notes
 * are skipped. The brand: with EI_OSABI 0 (SYSV) the ABI note decides,
 * and no note means ELF_BRAND_NATIVE; with another OSABI that OSABI
 * decides (3 Linux, 6 illumos, 9 FreeBSD, anything else UNKNOWN), and an
 * ABI note that disagrees with it makes the brand ELF_BRAND_UNKNOWN. An
 * unknown brand is not an error here: the caller decides whether to run
 * such a program.
 *
 * On failure *@p out is all zeroes.
 * @return FB_OK with *@p out filled;
 *         FB_EINVAL for NULL arguments, a bad magic, a class other than
 *         ELFCLASS64, data other than little endian, EI_VERSION or
 *         e_version not 1, e_type other than ET_EXEC or ET_DYN, e_ehsize
 *         not 64, e_phentsize not 56, a PT_LOAD with filesz > memsz,
 *         segments sharing a page, no PT_LOAD with memsz > 0, an entry
 *         outside every executable segment, or a GNU or FreeBSD ABI note
 *         whose descriptor is too short (GNU < 16, FreeBSD < 4 bytes);
 *         FB_ENOTSUP for ET_DYN (position independent or shared),
 *         e_machine other than EM_X86_64, or a PT_INTERP or PT_DYNAMIC
 *         (dynamic linking is not supported);
 *         FB_ETRUNC when @p len is below the ELF header, or the program
 *         headers, a PT_LOAD's or PT_NOTE's file bytes lie past @p len
 *         (including offset + size wrapping), or a note runs past its
 *         PT_NOTE;
 *         FB_ERANGE for more than ELF_MAX_PHDRS program headers, more than
 *         ELF_MAX_SEGMENTS non-empty PT_LOADs, or segments covering more
 *         than ELF_MAX_IMAGE_BYTES of pages in all;
 *         FB_EFAULT for a segment not wholly inside [HAL_USER_BASE,
 *         HAL_USER_TOP) (including vaddr + memsz wrapping);
 *         FB_EALIGN for a p_align that is neither 0 nor a power of two, a
 *         PT_LOAD whose vaddr and offset differ modulo the page size, or a
 *         PT_NOTE whose p_align is not 0, 1, 2, 4 or 8 or whose offset is
 *         not a multiple of its padding;
 *         FB_EPERM for a segment both writable and executable (W^X).
 */
int elf_parse(const void *image, size_t len, struct elf_image *out);

/**
 * Loads the segments of @p img, which elf_parse filled from these same
 * @p len bytes at @p image: for every page a segment touches, in segment
 * order and ascending address, asks @p page for the backing page and
 * fills it: file bytes where the segment has them, zero everywhere else
 * (bss, the head of the first page and the tail of the last). On failure
 * the pages already handed out stay the caller's to release.
 * @return FB_OK; FB_EINVAL for NULL arguments, an @p img with no or too
 *         many segments, or a callback that returned FB_OK with a NULL
 *         page; FB_ETRUNC when a segment's file bytes lie past @p len;
 *         otherwise the first error @p page returned.
 */
int elf_load(const struct elf_image *img, const void *image, size_t len, elf_page_fn page,
             void *ctx);

#endif
