/* Reader for cpio "newc" archives, the initrd format (`cpio -o -H newc`
 * writes magic "070701"; `-H crc` writes "070702" with a data checksum).
 * The archive is untrusted: every entry is validated before it is handed
 * out, nothing outside [archive, archive + len) is ever read, and names
 * that could escape or confuse the VFS are refused. */
#ifndef FB_CPIO_H
#define FB_CPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CPIO_HDR_LEN  110   /**< bytes of a newc header: magic + 13 fields of 8 hex digits */
#define CPIO_NAME_MAX 255   /**< longest accepted name, in bytes, without its NUL */
#define CPIO_LINK_MAX 1023  /**< longest accepted symlink target, in bytes */

/** The kinds of entry the reader hands out. */
enum cpio_type {
    CPIO_REG = 1,      /**< regular file: data holds its contents */
    CPIO_DIR,          /**< directory: no data */
    CPIO_SYMLINK,      /**< symbolic link: data holds the target (no NUL) */
};

/**
 * One archive member. Every pointer points into the archive, which must
 * outlive the entry; the entry is valid only while the archive bytes are
 * unchanged.
 */
struct cpio_entry {
    const char *name;      /**< relative path ("bin/sh"), NUL-terminated inside the archive */
    size_t name_len;       /**< bytes of name, without the NUL; 1..CPIO_NAME_MAX */
    enum cpio_type type;   /**< what the entry is */
    uint32_t mode;         /**< permission bits (mode & 07777); the type bits are in @c type */
    uint32_t uid;          /**< owner */
    uint32_t gid;          /**< group */
    uint32_t mtime;        /**< modification time, seconds since the epoch */
    uint32_t nlink;        /**< link count as stored (0 or 1 for a regular file) */
    uint32_t ino;          /**< inode number as stored; not checked for uniqueness */
    const void *data;      /**< contents or symlink target; points at the end of the name
                                block (never NULL) when size is 0 */
    size_t size;           /**< bytes of data */
};

/** A walk over an archive; set up with cpio_iter_init, advanced by cpio_next. */
struct cpio_iter {
    const uint8_t *archive;  /**< first byte of the archive */
    size_t len;              /**< readable bytes at archive */
    size_t off;              /**< offset of the next header; after an error, of the entry that failed */
    int state;               /**< FB_OK while walking, else the code cpio_next keeps returning */
};

/** Starts a walk over the @p len bytes at @p archive (@p it must not be
 *  NULL); the archive is not read yet. */
void cpio_iter_init(struct cpio_iter *it, const void *archive, size_t len);

/**
 * Validates the next entry and hands it out. Entries come in archive
 * order. A directory named exactly "." (the root, which
 * `find . | cpio -o -H newc` stores first) is validated and then skipped:
 * no name with a "." component is ever handed out. The checks, in order:
 *  - fewer than CPIO_HDR_LEN bytes left: FB_ETRUNC (this is also how an
 *    archive without its trailer ends);
 *  - magic other than "070701" or "070702", or a field that is not 8 hex
 *    digits (either case): FB_EINVAL;
 *  - namesize 0 or above CPIO_NAME_MAX + 1: FB_EINVAL;
 *  - header + name, padded to a multiple of 4 bytes, past the end: FB_ETRUNC;
 *  - a name whose only NUL is not its last byte (namesize - 1): FB_EINVAL;
 *  - the trailer "TRAILER!!!": FB_EINVAL when it announces data or when a
 *    non-zero byte follows it (a concatenated archive would otherwise be
 *    dropped silently), else FB_ENOENT, the end; zero padding after it is fine;
 *  - data, padded to a multiple of 4 bytes, past the end: FB_ETRUNC;
 *  - a name that is absolute or has an empty, "." or ".." component
 *    ("/a", "a//b", "a/", "./a", "a/../b"): FB_EINVAL;
 *  - a FIFO, character or block device or socket: FB_ENOTSUP; any other
 *    type that is not a regular file, directory or symlink: FB_EINVAL;
 *  - a directory with data, or a symlink whose target is empty, longer
 *    than CPIO_LINK_MAX or holds a NUL: FB_EINVAL;
 *  - a regular file with nlink above 1: FB_ENOTSUP (newc stores hard
 *    links' data once, on the last link; they are not supported);
 *  - "070702", a regular file, and the sum of its data bytes modulo 2^32
 *    differs from the header's check field: FB_EINVAL. The field is
 *    ignored for other types (GNU cpio stores 0 for them) and for "070701".
 *
 * Device numbers are validated as hex and otherwise ignored. Duplicate
 * names are not detected. Once cpio_next has returned anything but FB_OK
 * it returns the same code again and it->off stays at the failed entry.
 * @return FB_OK with *@p e filled; FB_ENOENT at the end; FB_EINVAL when
 *         @p it, @p e or the archive pointer is NULL, or as above;
 *         FB_ETRUNC or FB_ENOTSUP as above. *@p e is written only on FB_OK.
 */
int cpio_next(struct cpio_iter *it, struct cpio_entry *e);

/**
 * Finds the first entry whose name is exactly @p path (compared byte for
 * byte: "bin/sh", never "/bin/sh" or "./bin/sh"). Entries after the hit
 * are not read, so a caller that must trust the whole archive runs
 * cpio_check first.
 * @return FB_OK with *@p e filled; FB_ENOENT when the trailer comes first;
 *         FB_EINVAL for a NULL argument; otherwise the error cpio_next met
 *         on an entry before the hit.
 */
int cpio_find(const void *archive, size_t len, const char *path, struct cpio_entry *e);

/**
 * Walks the whole archive, up to and including the trailer and the bytes
 * after it, so that a bad archive is rejected whole before anything is
 * unpacked.
 * @return FB_OK with *@p entries (may be NULL) set to the number of
 *         entries cpio_next hands out; FB_ERANGE when that number does not
 *         fit 32 bits; FB_EINVAL for a NULL archive; otherwise the first
 *         error cpio_next returns. *@p entries is written only on FB_OK.
 */
int cpio_check(const void *archive, size_t len, uint32_t *entries);

#endif
