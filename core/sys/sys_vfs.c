/* File syscalls over the RAM VFS: a small descriptor table per
 * environment (node handle, offset, open flags) in front of vfs.h, which
 * does the checking of paths and nodes. Data moves through a bounce
 * buffer on the kernel stack, one chunk at a time, because the VFS runs
 * its copies under its lock with interrupts off and must never touch
 * user memory. */
#include <stdint.h>

#include "env.h"
#include "exo_abi.h"
#include "hal/usercopy.h"
#include "kerr.h"
#include "sys.h"
#include "vfs.h"

#define IO_MAX   (1u << 20)   /* bytes one vfs_read or vfs_write moves at most */
#define IO_CHUNK 512u         /* bounce buffer */
#define OPEN_FLAGS (EXO_O_READ | EXO_O_WRITE | EXO_O_CREATE | EXO_O_TRUNC | EXO_O_APPEND | \
                    EXO_O_DIR)

/* The VFS, or NULL when the kernel has none. */
static struct vfs *fs(void)
{
    return env_system()->fs;
}

/* The open file fd of self, or NULL when fd is not open. */
static struct env_file *file_of(struct env *self, uint64_t fd)
{
    int32_t n;

    if (sys_arg_i32(fd, &n) != FB_OK || n < 0 || n >= (int32_t)EXO_FD_MAX ||
        !self->files[n].used)
        return NULL;
    return &self->files[n];
}

/* The ABI form of a VFS stat. */
static void stat_to_abi(const struct vfs_stat *st, struct exo_stat *out)
{
    *out = (struct exo_stat){
        .type = st->type == VFS_DIR ? EXO_S_DIR : st->type == VFS_SYMLINK ? EXO_S_SYMLINK
                                                                          : EXO_S_FILE,
        .mode = st->mode,
        .size = st->size,
        .nlink = st->nlink,
        .ino = st->ino,
        .mtime = st->mtime,
        .blocks = st->blocks,
    };
}

/* Looks up (or with EXO_O_CREATE creates) the node an open names. */
static int open_node(const char *path, uint32_t flags, vfs_handle_t *h)
{
    struct vfs_stat st;
    int err = vfs_lookup(fs(), path, h);

    if (err == FB_ENOENT && (flags & EXO_O_CREATE))
        err = vfs_create(fs(), path, 0644, h);
    if (err == FB_OK)
        err = vfs_stat(fs(), *h, &st);
    if (err != FB_OK)
        return err;
    if ((flags & EXO_O_DIR) != (st.type == VFS_DIR ? EXO_O_DIR : 0u))
        return FB_EINVAL;
    if ((flags & EXO_O_TRUNC))
        err = vfs_truncate(fs(), *h, 0);
    return err;
}

/* vfs_open(path, len, flags): returns a descriptor. */
int64_t sys_vfs_open(struct env *self, const uint64_t a[6])
{
    char path[EXO_PATH_MAX + 1];
    uint32_t flags;
    vfs_handle_t h;
    int fd = -1, err;

    if (sys_arg_u32(a[2], &flags) != FB_OK || (flags & ~OPEN_FLAGS) != 0 ||
        (flags & (EXO_O_READ | EXO_O_WRITE | EXO_O_DIR)) == 0 ||
        ((flags & EXO_O_DIR) && (flags & ~(EXO_O_DIR | EXO_O_READ))) ||
        ((flags & (EXO_O_TRUNC | EXO_O_APPEND)) && !(flags & EXO_O_WRITE)))
        return FB_EINVAL;
    err = sys_path_in(a[0], a[1], path);
    if (err != FB_OK)
        return err;
    if (fs() == NULL)
        return FB_ENOENT;
    for (int i = 0; i < (int)EXO_FD_MAX && fd < 0; i++) {
        if (!self->files[i].used)
            fd = i;
    }
    if (fd < 0)
        return FB_ENOSPC;
    err = open_node(path, flags, &h);
    if (err != FB_OK)
        return err;
    self->files[fd] = (struct env_file){ .used = true, .node = h, .off = 0, .flags = flags };
    return fd;
}

/* vfs_close(fd). */
int64_t sys_vfs_close(struct env *self, const uint64_t a[6])
{
    struct env_file *f = file_of(self, a[0]);

    if (f == NULL)
        return FB_ENOENT;
    f->used = false;
    return FB_OK;
}

/* vfs_read(fd, buf, len): from the descriptor's offset, advancing it. */
int64_t sys_vfs_read(struct env *self, const uint64_t a[6])
{
    struct env_file *f = file_of(self, a[0]);
    char buf[IO_CHUNK];
    uint64_t done = 0;

    if (f == NULL)
        return FB_ENOENT;
    if (!(f->flags & EXO_O_READ) || (f->flags & EXO_O_DIR))
        return (f->flags & EXO_O_DIR) ? FB_EINVAL : FB_EPERM;
    if (a[2] > IO_MAX)
        return FB_EINVAL;
    while (done < a[2]) {
        size_t want = a[2] - done < IO_CHUNK ? (size_t)(a[2] - done) : IO_CHUNK, got;
        int err = vfs_read(fs(), f->node, f->off, buf, want, &got);

        if (err != FB_OK)
            return done > 0 ? (int64_t)done : err;
        if (got > 0 && hal_copy_to_user((uintptr_t)(a[1] + done), buf, got) != FB_OK)
            return done > 0 ? (int64_t)done : FB_EFAULT;
        f->off += got;
        done += got;
        if (got < want)
            break;
    }
    return (int64_t)done;
}

/* vfs_write(fd, buf, len): at the offset (or the end with APPEND). */
int64_t sys_vfs_write(struct env *self, const uint64_t a[6])
{
    struct env_file *f = file_of(self, a[0]);
    char buf[IO_CHUNK];
    uint64_t done = 0;

    if (f == NULL)
        return FB_ENOENT;
    if (!(f->flags & EXO_O_WRITE))
        return FB_EPERM;
    if (a[2] > IO_MAX)
        return FB_EINVAL;
    while (done < a[2]) {
        size_t want = a[2] - done < IO_CHUNK ? (size_t)(a[2] - done) : IO_CHUNK, put;
        struct vfs_stat st;
        int err = FB_OK;

        if (hal_copy_from_user(buf, (uintptr_t)(a[1] + done), want) != FB_OK)
            return done > 0 ? (int64_t)done : FB_EFAULT;
        if (f->flags & EXO_O_APPEND) {
            err = vfs_stat(fs(), f->node, &st);
            if (err == FB_OK)
                f->off = st.size;
        }
        if (err == FB_OK)
            err = vfs_write(fs(), f->node, f->off, buf, want, &put);
        if (err != FB_OK && (err != FB_ENOMEM || put == 0))
            return done > 0 ? (int64_t)done : err;
        f->off += put;
        done += put;
        if (put < want)
            break;
    }
    return (int64_t)done;
}

/* vfs_seek(fd, off, whence): returns the new offset. */
int64_t sys_vfs_seek(struct env *self, const uint64_t a[6])
{
    struct env_file *f = file_of(self, a[0]);
    struct vfs_stat st;
    int64_t base, off = (int64_t)a[1];
    int err;

    if (f == NULL)
        return FB_ENOENT;
    switch (a[2]) {
    case EXO_SEEK_SET: base = 0; break;
    case EXO_SEEK_CUR: base = (int64_t)f->off; break;
    case EXO_SEEK_END:
        err = vfs_stat(fs(), f->node, &st);
        if (err != FB_OK)
            return err;
        base = (int64_t)st.size;
        break;
    default: return FB_EINVAL;
    }
    if ((off > 0 && base > INT64_MAX - off) || base + off < 0 ||
        (uint64_t)(base + off) > VFS_FILE_MAX)
        return FB_EINVAL;
    f->off = (uint64_t)(base + off);
    return (int64_t)f->off;
}

/* vfs_stat(path, len, out). */
int64_t sys_vfs_stat(struct env *self, const uint64_t a[6])
{
    char path[EXO_PATH_MAX + 1];
    struct vfs_stat st;
    struct exo_stat out;
    vfs_handle_t h;
    int err = sys_path_in(a[0], a[1], path);

    (void)self;
    if (err != FB_OK)
        return err;
    if (fs() == NULL)
        return FB_ENOENT;
    err = vfs_lookup(fs(), path, &h);
    if (err == FB_OK)
        err = vfs_stat(fs(), h, &st);
    if (err != FB_OK)
        return err;
    stat_to_abi(&st, &out);
    return hal_copy_to_user((uintptr_t)a[2], &out, sizeof(out));
}

/* vfs_fstat(fd, out). */
int64_t sys_vfs_fstat(struct env *self, const uint64_t a[6])
{
    struct env_file *f = file_of(self, a[0]);
    struct vfs_stat st;
    struct exo_stat out;
    int err;

    if (f == NULL)
        return FB_ENOENT;
    err = vfs_stat(fs(), f->node, &st);
    if (err != FB_OK)
        return err;
    stat_to_abi(&st, &out);
    return hal_copy_to_user((uintptr_t)a[1], &out, sizeof(out));
}

/* vfs_readdir(fd, index, out): 1 with an entry, 0 past the last. */
int64_t sys_vfs_readdir(struct env *self, const uint64_t a[6])
{
    struct env_file *f = file_of(self, a[0]);
    struct exo_dirent d = { 0 };
    struct vfs_stat st;
    vfs_handle_t h;
    uint32_t index;
    int err;

    if (f == NULL)
        return FB_ENOENT;
    if (!(f->flags & EXO_O_DIR) || sys_arg_u32(a[1], &index) != FB_OK)
        return FB_EINVAL;
    err = vfs_readdir(fs(), f->node, index, d.name, &h);
    if (err == FB_ENOENT)
        return 0;
    if (err == FB_OK)
        err = vfs_stat(fs(), h, &st);
    if (err != FB_OK)
        return err;
    d.ino = st.ino;
    d.type = st.type == VFS_DIR ? EXO_S_DIR : st.type == VFS_SYMLINK ? EXO_S_SYMLINK : EXO_S_FILE;
    if (hal_copy_to_user((uintptr_t)a[2], &d, sizeof(d)) != FB_OK)
        return FB_EFAULT;
    return 1;
}

/* vfs_mkdir(path, len, mode). */
int64_t sys_vfs_mkdir(struct env *self, const uint64_t a[6])
{
    char path[EXO_PATH_MAX + 1];
    int err;

    (void)self;
    if (a[2] > 07777)
        return FB_EINVAL;
    err = sys_path_in(a[0], a[1], path);
    if (err != FB_OK)
        return err;
    return fs() == NULL ? FB_ENOENT : vfs_mkdir(fs(), path, (uint32_t)a[2], NULL);
}

/* vfs_unlink(path, len). Open descriptors of the node go stale. */
int64_t sys_vfs_unlink(struct env *self, const uint64_t a[6])
{
    char path[EXO_PATH_MAX + 1];
    int err = sys_path_in(a[0], a[1], path);

    (void)self;
    if (err != FB_OK)
        return err;
    return fs() == NULL ? FB_ENOENT : vfs_unlink(fs(), path);
}
