/* File syscalls through the real entry path: descriptors, offsets,
 * access modes, directories, and every argument check. */
#include <criterion/criterion.h>

#include "sys_harness.h"

#define BAD_KERNEL 0xffff800000001000ull
#define STR        (SH_DATA + 1024)
#define BUF        (SH_DATA + 2048)
#define PATH(s)    ustr(STR, (s)), strlen(s)

static void boot(void) { sh_boot(); }

static void halt(void) { sh_halt(); }

/* Every test ends with this: nothing may be left behind. */
#define EXPECT_SETTLED() cr_assert(sh_settled(), "an environment or user frame leaked")

static void expect_ok(const char *path)
{
    int64_t code = sh_run(path, "");

    cr_assert_eq(code, 0, "%s failed at line %ld (the call returned %ld)", path, (long)code,
                 (long)sh_last_got);
}

/* Create, write, seek, read back, stat, append, truncate. */
static void prog_files(uint64_t argp)
{
    struct exo_stat st;
    char got[16];
    int64_t fd, ro;

    (void)argp;
    UEXPECT(SC3(SYS_vfs_open, PATH("/tmp/a"), EXO_O_READ), FB_ENOENT);
    fd = SC3(SYS_vfs_open, PATH("/tmp/a"), EXO_O_READ | EXO_O_WRITE | EXO_O_CREATE);
    UCHECK(fd >= 0 && fd < EXO_FD_MAX);
    UEXPECT(SC3(SYS_vfs_write, fd, ustr(BUF, "hello world"), 11), 11);
    UEXPECT(SC3(SYS_vfs_seek, fd, 6, EXO_SEEK_SET), 6);
    UEXPECT(SC3(SYS_vfs_read, fd, BUF + 100, 16), 5);
    upeek(got, BUF + 100, 5);
    UCHECK(memcmp(got, "world", 5) == 0);
    UEXPECT(SC3(SYS_vfs_read, fd, BUF + 100, 16), 0);              /* at the end */
    UEXPECT(SC3(SYS_vfs_seek, fd, -3, EXO_SEEK_END), 8);
    UEXPECT(SC3(SYS_vfs_seek, fd, -9, EXO_SEEK_CUR), FB_EINVAL);
    UEXPECT(SC3(SYS_vfs_seek, fd, 0, 3), FB_EINVAL);
    UEXPECT(SC3(SYS_vfs_seek, fd, INT64_MAX, EXO_SEEK_CUR), FB_EINVAL);
    UEXPECT(SC3(SYS_vfs_read, fd, BAD_KERNEL, 3), FB_EFAULT);
    UEXPECT(SC3(SYS_vfs_read, fd, BUF, (1u << 20) + 1), FB_EINVAL);
    UEXPECT(SC3(SYS_vfs_write, fd, BAD_KERNEL, 3), FB_EFAULT);
    UEXPECT(SC2(SYS_vfs_fstat, fd, BUF), 0);
    upeek(&st, BUF, sizeof(st));
    UCHECK(st.type == EXO_S_FILE && st.size == 11);
    UEXPECT(SC1(SYS_vfs_close, fd), 0);
    UEXPECT(SC1(SYS_vfs_close, fd), FB_ENOENT);
    UEXPECT(SC3(SYS_vfs_read, fd, BUF, 1), FB_ENOENT);
    /* Access modes are enforced per descriptor. */
    ro = SC3(SYS_vfs_open, PATH("/tmp/a"), EXO_O_READ);
    UEXPECT(SC3(SYS_vfs_write, ro, BUF, 1), FB_EPERM);
    fd = SC3(SYS_vfs_open, PATH("/tmp/a"), EXO_O_WRITE | EXO_O_APPEND);
    UCHECK(fd >= 0 && fd != ro);
    UEXPECT(SC3(SYS_vfs_read, fd, BUF, 1), FB_EPERM);
    UEXPECT(SC3(SYS_vfs_write, fd, ustr(BUF, "!!"), 2), 2);
    UEXPECT(SC3(SYS_vfs_stat, PATH("/tmp/a"), BUF), 0);
    upeek(&st, BUF, sizeof(st));
    UCHECK(st.size == 13);
    UEXPECT(SC1(SYS_vfs_close, fd), 0);
    fd = SC3(SYS_vfs_open, PATH("/tmp/a"), EXO_O_WRITE | EXO_O_TRUNC);
    UEXPECT(SC2(SYS_vfs_fstat, fd, BUF), 0);
    upeek(&st, BUF, sizeof(st));
    UCHECK(st.size == 0);
    UEXPECT(SC1(SYS_vfs_close, fd), 0);
    UEXPECT(SC1(SYS_vfs_close, ro), 0);
    /* Flags that make no sense. */
    UEXPECT(SC3(SYS_vfs_open, PATH("/tmp/a"), 0), FB_EINVAL);
    UEXPECT(SC3(SYS_vfs_open, PATH("/tmp/a"), EXO_O_READ | 0x100), FB_EINVAL);
    UEXPECT(SC3(SYS_vfs_open, PATH("/tmp/a"), EXO_O_READ | EXO_O_TRUNC), FB_EINVAL);
    UEXPECT(SC3(SYS_vfs_open, PATH("/tmp/a"), EXO_O_READ | (1ull << 32)), FB_EINVAL);
    UEXPECT(SC3(SYS_vfs_open, PATH("tmp/a"), EXO_O_READ), FB_EINVAL);
    UEXPECT(SC3(SYS_vfs_open, STR, 0, EXO_O_READ), FB_EINVAL);
    UEXPECT(SC3(SYS_vfs_open, BAD_KERNEL, 3, EXO_O_READ), FB_EFAULT);
    UEXPECT(SC3(SYS_vfs_close, -1, 0, 0), FB_ENOENT);
    UEXPECT(SC3(SYS_vfs_close, 1ull << 40, 0, 0), FB_ENOENT);
    SC1(SYS_env_exit, 0);
}

Test(sys_vfs, files_read_write_seek_and_stat, .init = boot, .fini = halt)
{
    cr_assert_eq(vfs_mkdir(&sh_fs, "/tmp", 0755, NULL), FB_OK);
    sh_install("/bin/files", prog_files);
    expect_ok("/bin/files");
    EXPECT_SETTLED();
}

/* Directories: mkdir, readdir, unlink, and the descriptor limit. */
static void prog_dirs(uint64_t argp)
{
    struct exo_dirent d;
    int64_t dir, fd, n = 0;

    (void)argp;
    UEXPECT(SC3(SYS_vfs_mkdir, PATH("/d"), 0755), 0);
    UEXPECT(SC3(SYS_vfs_mkdir, PATH("/d"), 0755), FB_EEXIST);
    UEXPECT(SC3(SYS_vfs_mkdir, PATH("/e"), 010000), FB_EINVAL);
    fd = SC3(SYS_vfs_open, PATH("/d/x"), EXO_O_WRITE | EXO_O_CREATE);
    UEXPECT(SC1(SYS_vfs_close, fd), 0);
    UEXPECT(SC3(SYS_vfs_mkdir, PATH("/d/sub"), 0700), 0);
    UEXPECT(SC3(SYS_vfs_open, PATH("/d"), EXO_O_READ), FB_EINVAL);   /* a directory */
    UEXPECT(SC3(SYS_vfs_open, PATH("/d/x"), EXO_O_DIR), FB_EINVAL);  /* not one */
    dir = SC3(SYS_vfs_open, PATH("/d"), EXO_O_DIR);
    UCHECK(dir >= 0);
    UEXPECT(SC3(SYS_vfs_read, dir, BUF, 1), FB_EINVAL);
    while (SC3(SYS_vfs_readdir, dir, n, BUF) == 1)
        n++;
    UCHECK(n == 2);
    UEXPECT(SC3(SYS_vfs_readdir, dir, 1, BUF), 1);
    upeek(&d, BUF, sizeof(d));
    UCHECK(strcmp(d.name, "sub") == 0 && d.type == EXO_S_DIR);
    UEXPECT(SC3(SYS_vfs_readdir, dir, 1ull << 33, BUF), FB_EINVAL);
    UEXPECT(SC3(SYS_vfs_readdir, dir, 0, BAD_KERNEL), FB_EFAULT);
    UEXPECT(SC2(SYS_vfs_unlink, PATH("/d")), FB_EBUSY);
    UEXPECT(SC2(SYS_vfs_unlink, PATH("/d/x")), 0);
    UEXPECT(SC2(SYS_vfs_unlink, PATH("/d/x")), FB_ENOENT);
    UEXPECT(SC2(SYS_vfs_unlink, PATH("/")), FB_EPERM);
    UEXPECT(SC1(SYS_vfs_close, dir), 0);
    /* Every descriptor taken: the next open says so. */
    for (int i = 0; i < (int)EXO_FD_MAX; i++)
        UCHECK(SC3(SYS_vfs_open, PATH("/d/sub"), EXO_O_DIR) == i);
    UEXPECT(SC3(SYS_vfs_open, PATH("/d/sub"), EXO_O_DIR), FB_ENOSPC);
    SC1(SYS_env_exit, 0);
}

Test(sys_vfs, directories_and_the_descriptor_limit, .init = boot, .fini = halt)
{
    sh_install("/bin/dirs", prog_dirs);
    expect_ok("/bin/dirs");
    EXPECT_SETTLED();
}

/* Files of an environment are its own: a child has no descriptors. */
static void prog_fdchild(uint64_t argp)
{
    (void)argp;
    UEXPECT(SC3(SYS_vfs_read, 0, BUF, 1), FB_ENOENT);
    SC1(SYS_env_exit, 0);
}

static void prog_fdparent(uint64_t argp)
{
    int64_t fd = SC3(SYS_vfs_open, PATH("/bin"), EXO_O_DIR), c, code = 1;

    (void)argp;
    UCHECK(fd == 0);
    c = SC3(SYS_env_create, PATH("/bin/fdchild"), 0);
    UEXPECT(SC3(SYS_env_start, c, STR, 0), 0);
    UCHECK(SC2(SYS_env_wait, c, BUF) > 0);
    upeek(&code, BUF, sizeof(code));
    UCHECK(code == 0);
    SC1(SYS_env_exit, 0);
}

Test(sys_vfs, descriptors_are_per_environment, .init = boot, .fini = halt)
{
    sh_install("/bin/fdchild", prog_fdchild);
    sh_install("/bin/fdparent", prog_fdparent);
    expect_ok("/bin/fdparent");
    EXPECT_SETTLED();
}
