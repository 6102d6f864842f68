/* Private helpers shared by the Multiboot2 and PVH parsers: little-endian
 * field reads from untrusted bytes and the steps that fill a boot_info. */
#ifndef FB_BOOTINFO_INTERNAL_H
#define FB_BOOTINFO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bootinfo.h"
#include "kstring.h"

/* Reads a u32 at any alignment (x86_64 is little-endian, as both formats). */
static inline uint32_t bootinfo_rd32(const uint8_t *p)
{
    uint32_t v;
    kmemcpy(&v, p, sizeof v);
    return v;
}

/* Reads a u64 at any alignment. */
static inline uint64_t bootinfo_rd64(const uint8_t *p)
{
    uint64_t v;
    kmemcpy(&v, p, sizeof v);
    return v;
}

/** Zeroes @p bi and records who booted us. */
void bootinfo_reset(struct boot_info *bi, enum boot_source src);

/** Zeroes @p bi (no half-parsed state survives a failure) and returns @p err. */
int bootinfo_fail(struct boot_info *bi, int err);

/** Appends a raw region, compacting the table first when it is full. */
void bootinfo_add_region(struct boot_info *bi, uint64_t base, uint64_t len, uint32_t type);

/**
 * Appends a module [start, end). @return its zeroed name buffer
 * (BOOTINFO_NAME_MAX bytes), or NULL when the module was dropped (a
 * warning bit says why).
 */
char *bootinfo_add_module(struct boot_info *bi, uint64_t start, uint64_t end);

/**
 * Copies the string in src[0, srclen) up to its NUL (or srclen when it has
 * none) into dst of @p cap bytes, NUL-terminated. @return true when cut.
 */
bool bootinfo_copy_str(char *dst, size_t cap, const uint8_t *src, size_t srclen);

/** Normalizes the map; @return FB_OK, or FB_ENOMEM (bi zeroed) when no
 *  usable RAM remains. */
int bootinfo_finish(struct boot_info *bi);

#endif
