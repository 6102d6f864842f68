/* The VFS and its one filesystem, a RAM filesystem: a tree of directories,
 * regular files and symlinks kept in a caller-provided node table, file
 * data in 4 KiB blocks from caller callbacks. The initrd (a cpio archive)
 * is unpacked into it at boot.
 *
 * A node is named by a handle, index + generation like a capability
 * handle: once a node is unlinked every handle to it is FB_ESTALE, never
 * another file. One irq-saving spinlock guards the whole filesystem;
 * every call takes it for its whole duration (reads and writes copy
 * under it), so calls are atomic with respect to each other. No call
 * sleeps or allocates except through the block callbacks, which run with
 * the lock held and interrupts off and must not call back into the VFS.
 *
 * Paths are absolute ("/bin/sh"). Repeated slashes are allowed and mean
 * one; "." is the directory itself; ".." its parent, and ".." at the root
 * is the root. A trailing slash ("/bin/") requires a directory. Symlinks
 * are stored (their target is their contents) but never followed: a
 * symlink in the middle of a path is a non-directory there. There are no
 * hard links: every node but the root has exactly one name. */
#ifndef FB_VFS_H
#define FB_VFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kerr.h"
#include "spinlock.h"

#define VFS_BLOCK_SIZE 4096u   /**< bytes of a data or index block */
#define VFS_NAME_MAX   255u    /**< longest name in a directory, in bytes, without NUL */
#define VFS_PATH_MAX   1024u   /**< longest path, in bytes, without its NUL */
#define VFS_LINK_MAX   1023u   /**< longest symlink target, in bytes */
#define VFS_INDEX_BLOCKS 16u   /**< index blocks a file may hold */
/** Block pointers in one index block. */
#define VFS_PTRS_PER_BLOCK (VFS_BLOCK_SIZE / sizeof(void *))
/** Largest file size in bytes: 16 index blocks of 512 data blocks of 4 KiB
 *  = 32 MiB on a 64-bit machine. */
#define VFS_FILE_MAX ((uint64_t)VFS_INDEX_BLOCKS * VFS_PTRS_PER_BLOCK * VFS_BLOCK_SIZE)
/** Largest node table. */
#define VFS_NODES_MAX ((uint32_t)1 << 30)

/** A node handle: generation in bits 63..32, node index in bits 31..0.
 *  Generations start at 1, so 0 is never a valid handle. */
typedef uint64_t vfs_handle_t;

/** Node types; 0 is a free slot. */
enum vfs_type {
    VFS_REG = 1,    /**< regular file */
    VFS_DIR,        /**< directory */
    VFS_SYMLINK,    /**< symbolic link: its contents are the target */
};

/**
 * One slot of the node table. The caller provides the array to vfs_init
 * and must not touch it afterwards; the fields are the filesystem's.
 */
struct vfs_node {
    uint32_t gen;          /**< generation, bumped each time the slot is freed */
    uint8_t type;          /**< enum vfs_type, 0 when free */
    uint8_t fresh;         /**< created by the vfs_unpack_cpio in progress */
    uint16_t mode;         /**< permission bits, mode & 07777 */
    uint32_t mtime;        /**< modification time as given by the archive, else 0 */
    uint32_t parent;       /**< index of the directory holding this node (root: itself) */
    uint32_t next;         /**< next sibling, or next free slot; VFS_NONE at the end */
    uint32_t first;        /**< directory: first entry, VFS_NONE when empty */
    uint32_t last;         /**< directory: last entry, VFS_NONE when empty */
    uint32_t entries;      /**< directory: number of entries */
    uint32_t subdirs;      /**< directory: entries that are directories */
    uint32_t blocks;       /**< data and index blocks held */
    uint64_t size;         /**< bytes of contents (directories: 0) */
    void **index[VFS_INDEX_BLOCKS]; /**< index blocks, each VFS_PTRS_PER_BLOCK data blocks */
    uint16_t name_len;     /**< bytes of name */
    char name[VFS_NAME_MAX + 1]; /**< name in the parent, NUL-terminated (root: "") */
};

/** Index meaning "no node". */
#define VFS_NONE UINT32_MAX

/** Returns a zeroed VFS_BLOCK_SIZE-byte block, or NULL when none is left. */
typedef void *(*vfs_block_alloc_fn)(void *ctx);
/** Takes back a block vfs_block_alloc_fn handed out. */
typedef void (*vfs_block_free_fn)(void *ctx, void *block);

/** A filesystem; set up with vfs_init. */
struct vfs {
    spinlock_t lock;            /**< guards everything below and every node */
    struct vfs_node *nodes;     /**< the node table; index 0 is the root */
    uint32_t capacity;          /**< slots in nodes */
    uint32_t used;              /**< slots in use (the root included) */
    uint32_t free_head;         /**< first free slot, VFS_NONE when full */
    uint64_t blocks;            /**< blocks held by all nodes together */
    vfs_block_alloc_fn alloc;   /**< block source */
    vfs_block_free_fn release;  /**< block sink */
    void *ctx;                  /**< passed to both callbacks */
};

/** What vfs_stat reports. */
struct vfs_stat {
    enum vfs_type type;   /**< what the node is */
    uint32_t mode;        /**< permission bits */
    uint64_t size;        /**< bytes of contents; directories: number of entries */
    uint32_t nlink;       /**< 1 for a file or symlink; 2 + subdirectories for a directory */
    uint32_t mtime;       /**< modification time from the archive, else 0 */
    uint32_t blocks;      /**< 4 KiB blocks held, data and index together */
    uint32_t ino;         /**< node index, unique among live nodes */
};

/**
 * Sets up @p fs over @p capacity slots at @p nodes (all overwritten) with
 * an empty root directory (mode 0755). Errors: FB_EINVAL (a NULL
 * argument other than @p ctx, capacity 0 or above VFS_NODES_MAX).
 */
int vfs_init(struct vfs *fs, struct vfs_node *nodes, uint32_t capacity,
             vfs_block_alloc_fn alloc, vfs_block_free_fn release, void *ctx);

/**
 * Finds the node @p path names and writes its handle to *@p out.
 * Errors: FB_EINVAL (NULL argument, path not starting with '/');
 * FB_ERANGE (path longer than VFS_PATH_MAX or a component longer than
 * VFS_NAME_MAX); FB_ENOENT (a component does not exist); FB_ENOTSUP (a
 * component before the last, or the last when followed by '/', is not a
 * directory).
 */
int vfs_lookup(struct vfs *fs, const char *path, vfs_handle_t *out);

/**
 * Creates an empty regular file at @p path with permission bits @p mode;
 * *@p out (may be NULL) gets its handle. Errors: those of vfs_lookup for
 * the path's directory; FB_EINVAL also for @p mode above 07777 or a path
 * ending in '/'; FB_EEXIST (the name exists, is "." or "..", or the
 * path names the root); FB_ENOSPC
 * (node table full).
 */
int vfs_create(struct vfs *fs, const char *path, uint32_t mode, vfs_handle_t *out);

/** Creates an empty directory at @p path; like vfs_create, except that a
 *  trailing '/' is allowed. */
int vfs_mkdir(struct vfs *fs, const char *path, uint32_t mode, vfs_handle_t *out);

/**
 * Creates a symlink at @p path whose contents are @p target (mode 0777).
 * The target is stored, not checked against the tree. Errors: those of
 * vfs_create; FB_EINVAL also for an empty or NULL target; FB_ERANGE for a
 * target longer than VFS_LINK_MAX; FB_ENOMEM (no block for the target).
 */
int vfs_symlink(struct vfs *fs, const char *path, const char *target, vfs_handle_t *out);

/**
 * Removes the file, symlink or empty directory at @p path, frees its
 * blocks and invalidates every handle to it. Errors: those of vfs_lookup;
 * FB_EPERM (the path names the root: "/", "//"); FB_EINVAL (the last
 * component is "." or ".."); FB_EBUSY (a directory that has entries).
 */
int vfs_unlink(struct vfs *fs, const char *path);

/**
 * Copies up to @p len bytes from offset @p off of a file or symlink to
 * @p buf; *@p got gets the count, short at the end of the file and 0 at or
 * past it. Holes read as zeros. Errors: FB_EINVAL (NULL @p fs or @p got,
 * NULL @p buf with @p len > 0, a directory); FB_EBADCAP (a handle never
 * issued: generation 0 or index past the table); FB_ESTALE (the node was
 * unlinked). *@p got is 0 on error.
 */
int vfs_read(struct vfs *fs, vfs_handle_t h, uint64_t off, void *buf, size_t len, size_t *got);

/**
 * Writes @p len bytes from @p buf at offset @p off of a regular file,
 * extending it as needed; a gap between the old end and @p off is a hole
 * and reads as zeros. A zero-length write changes nothing. *@p put gets
 * the bytes written. Errors: those of vfs_read (a symlink is FB_EINVAL
 * too); FB_ERANGE (@p off + @p len above VFS_FILE_MAX: nothing is
 * written); FB_ENOMEM (a block could not be had: the bytes before that
 * block are written, *@p put says how many, and the size covers exactly
 * the data written).
 */
int vfs_write(struct vfs *fs, vfs_handle_t h, uint64_t off, const void *buf, size_t len,
              size_t *put);

/**
 * Sets the size of a regular file to @p size: growing adds a hole,
 * shrinking frees every block past the new end and zeroes the rest of
 * the last block. Errors: those of vfs_read; FB_ERANGE (@p size above
 * VFS_FILE_MAX).
 */
int vfs_truncate(struct vfs *fs, vfs_handle_t h, uint64_t size);

/** Fills *@p st for the node @p h. Errors: FB_EINVAL (NULL argument),
 *  FB_EBADCAP, FB_ESTALE as for vfs_read. */
int vfs_stat(struct vfs *fs, vfs_handle_t h, struct vfs_stat *st);

/**
 * Hands out entry @p index of directory @p dir: its name into @p name
 * (VFS_NAME_MAX + 1 bytes, NUL-terminated; may be NULL) and its handle
 * into *@p out (may be NULL). Entries come in creation order; unlinking
 * one moves the later ones down by one. "." and ".." are not listed.
 * Errors: FB_EINVAL (NULL @p fs), FB_EBADCAP, FB_ESTALE as for vfs_read;
 * FB_ENOTSUP (@p dir is not a directory); FB_ENOENT (@p index is past the
 * last entry).
 */
int vfs_readdir(struct vfs *fs, vfs_handle_t dir, uint32_t index, char *name, vfs_handle_t *out);

/**
 * Unpacks the cpio (newc) archive at @p archive into the tree, each
 * member at "/" + its name, with its mode, mtime and contents. All or
 * nothing: cpio_check validates the whole archive first, and if any
 * entry then fails, every node this call created is removed again (their
 * blocks freed), so the tree is as before. A directory entry whose path
 * is already a directory is merged (its mode is left as it was).
 * Parents must exist, in the tree or earlier in the archive, as `find .
 * | cpio -o` writes them. The lock is held, interrupts off, throughout.
 * Errors: FB_EINVAL (NULL @p fs or archive); any error of cpio_check;
 * FB_ENOENT (a parent is missing); FB_ENOTSUP (a parent is not a
 * directory); FB_EEXIST (a path exists and is not two directories);
 * FB_ERANGE (a file above VFS_FILE_MAX); FB_ENOSPC; FB_ENOMEM.
 */
int vfs_unpack_cpio(struct vfs *fs, const void *archive, size_t len);

/**
 * Checks every invariant: the free list and the tree together hold every
 * slot exactly once, each node's parent link, names (valid, unique in
 * their directory), entry and subdirectory counts, no block at or past
 * the end of a file, and block counts per node and in total.
 * @return FB_OK, or FB_EINVAL with the first bad node's index in
 *         *@p bad (may be NULL; VFS_NONE for a fault of the whole table).
 */
int vfs_check(struct vfs *fs, uint32_t *bad);

#endif
