/* systest group "vfs": the file syscalls on the initrd's files and on a
 * scratch directory systest makes and removes (/systest-tmp). */
#include "systest.h"

#define TMP_DIR "/systest-tmp"
#define TMP_FILE TMP_DIR "/f"
#define IO_MAX (1u << 20)

static char long_path[EXO_PATH_MAX + 2];

/* Length of a string literal path, for the (path, len) pairs. */
#define P(s) (s), (sizeof(s) - 1)

/* Opens path with flags, checked; returns the fd or -1. */
static int32_t open_checked(const char *file, int line, const char *path, uint32_t flags)
{
    int64_t fd = check_result(file, line, path, exo_vfs_open(path, strlen(path), flags), WANT_OK,
                              WANT_NONE);

    check_true(file, line, "fd < EXO_FD_MAX", fd < (int64_t)EXO_FD_MAX);
    return fd >= 0 ? (int32_t)fd : -1;
}

/* Removes what an earlier, interrupted run may have left. */
static void cleanup(void)
{
    exo_vfs_unlink(P(TMP_FILE));
    exo_vfs_unlink(P(TMP_DIR "/d"));
    exo_vfs_unlink(P(TMP_DIR));
}

/* vfs_open's argument checks and the descriptor limit. */
static void test_open(void)
{
    static int32_t fds[EXO_FD_MAX + 1];

    for (size_t i = 0; i < n_bad_in; i++) {
        check_note("path", bad_in[i]);
        CHECK(exo_vfs_open((const char *)bad_in[i], 9, EXO_O_READ), FB_EFAULT);
        CHECK(exo_vfs_stat((const char *)bad_in[i], 9, &(struct exo_stat){ 0 }), FB_EFAULT);
        CHECK(exo_vfs_mkdir((const char *)bad_in[i], 9, 0755), FB_EFAULT);
        CHECK(exo_vfs_unlink((const char *)bad_in[i], 9), FB_EFAULT);
    }
    check_note(NULL, 0);
    memset(long_path, 'a', sizeof long_path);
    long_path[0] = '/';
    CHECK(exo_vfs_open(long_path, EXO_PATH_MAX + 1, EXO_O_READ), FB_ERANGE);
    CHECK(exo_vfs_stat(long_path, EXO_PATH_MAX + 1, &(struct exo_stat){ 0 }), FB_ERANGE);
    CHECK(exo_vfs_mkdir(long_path, EXO_PATH_MAX + 1, 0755), FB_ERANGE);
    CHECK(exo_vfs_unlink(long_path, EXO_PATH_MAX + 1), FB_ERANGE);
    CHECK(exo_vfs_open("/etc/motd", 0, EXO_O_READ), FB_EINVAL);
    CHECK(exo_vfs_open(P("/etc/motd"), 0), FB_EINVAL);
    CHECK(exo_vfs_open(P("/etc/motd"), 0x40), FB_EINVAL);
    CHECK(exo_syscall3(SYS_vfs_open, (uintptr_t)"/etc/motd", 9, HI | EXO_O_READ), FB_EINVAL);
    CHECK(exo_vfs_open(P("/etc/motd"), EXO_O_READ | EXO_O_TRUNC), FB_EINVAL);   /* needs WRITE */
    CHECK2(exo_vfs_open(P("/etc/motd"), EXO_O_DIR), FB_EINVAL, FB_ENOTSUP);
    CHECK2(exo_vfs_open(P("etc/motd"), EXO_O_READ), FB_EINVAL, FB_ENOENT);
    CHECK(exo_vfs_open(P("/nope"), EXO_O_READ), FB_ENOENT);
    CHECK(exo_vfs_open(P("/nope/x"), EXO_O_READ), FB_ENOENT);

    size_t n = 0;
    int64_t r = 0;
    while (n < EXO_FD_MAX + 1 && (r = exo_vfs_open(P("/etc/motd"), EXO_O_READ)) >= 0)
        fds[n++] = (int32_t)r;
    CHECK(r, FB_ENOSPC);
    CHECK_TRUE(n > 0 && n <= EXO_FD_MAX);
    for (size_t i = 0; i < n; i++)
        CHECK(exo_vfs_close(fds[i]), FB_OK);
}

/* Reading /etc/motd; bad descriptors and buffers for every fd call. */
static void test_read(void)
{
    static char buf[4096];
    struct exo_stat st;
    int32_t fd = open_checked(__FILE__, __LINE__, "/etc/motd", EXO_O_READ);

    if (fd < 0)
        return;
    int64_t n = CHECK_OK(exo_vfs_read(fd, buf, sizeof buf));
    CHECK_TRUE(n > 0 && memcmp(buf, "Welcome", 7) == 0);
    CHECK(exo_vfs_read(fd, buf, sizeof buf), 0);                   /* end of file */
    if (CHECK(exo_vfs_fstat(fd, &st), FB_OK) == FB_OK)
        CHECK_TRUE(st.type == EXO_S_FILE && st.size == (uint64_t)n);
    if (CHECK(exo_vfs_stat(P("/etc/motd"), &st), FB_OK) == FB_OK)
        CHECK_TRUE(st.type == EXO_S_FILE && st.size == (uint64_t)n);
    for (size_t i = 0; i < n_bad_out; i++) {
        check_note("buf", bad_out[i]);
        CHECK(exo_vfs_seek(fd, 0, EXO_SEEK_SET), 0);
        CHECK(exo_vfs_read(fd, (void *)bad_out[i], 16), FB_EFAULT);
        CHECK(exo_vfs_fstat(fd, (struct exo_stat *)bad_out[i]), FB_EFAULT);
        CHECK(exo_vfs_stat(P("/etc/motd"), (struct exo_stat *)bad_out[i]), FB_EFAULT);
    }
    check_note(NULL, 0);
    CHECK(exo_vfs_read(fd, buf, IO_MAX + 1), FB_EINVAL);
    CHECK(exo_vfs_write(fd, "x", 1), FB_EPERM);                    /* opened for reading */

    CHECK(exo_vfs_seek(fd, 5, EXO_SEEK_SET), 5);
    CHECK(exo_vfs_seek(fd, -1, EXO_SEEK_CUR), 4);
    CHECK(exo_vfs_seek(fd, 0, EXO_SEEK_END), n);
    CHECK(exo_vfs_seek(fd, -(n + 1), EXO_SEEK_END), FB_EINVAL);
    CHECK(exo_vfs_seek(fd, 0, 3), FB_EINVAL);
    CHECK(exo_syscall3(SYS_vfs_seek, (uint64_t)fd, 0, HI | EXO_SEEK_SET), FB_EINVAL);
    CHECK(exo_vfs_seek(fd, 0, EXO_SEEK_CUR), n);                   /* failures moved nothing */

    static const int64_t bad_fds[] = { -1, EXO_FD_MAX, 1000, INT32_MAX };
    for (size_t i = 0; i < sizeof bad_fds / sizeof bad_fds[0]; i++) {
        check_note("fd", (uint64_t)bad_fds[i]);
        CHECK(exo_vfs_read((int32_t)bad_fds[i], buf, 1), FB_ENOENT);
        CHECK(exo_vfs_write((int32_t)bad_fds[i], buf, 1), FB_ENOENT);
        CHECK(exo_vfs_seek((int32_t)bad_fds[i], 0, EXO_SEEK_SET), FB_ENOENT);
        CHECK(exo_vfs_fstat((int32_t)bad_fds[i], &st), FB_ENOENT);
        CHECK(exo_vfs_readdir((int32_t)bad_fds[i], 0, &(struct exo_dirent){ 0 }), FB_ENOENT);
        CHECK(exo_vfs_close((int32_t)bad_fds[i]), FB_ENOENT);
    }
    check_note(NULL, 0);
    /* An fd that does not fit 32 bits names no open file (not fd 0). */
    CHECK(exo_syscall1(SYS_vfs_close, HI | (uint32_t)fd), FB_ENOENT);
    CHECK(exo_syscall3(SYS_vfs_read, HI | (uint32_t)fd, (uint64_t)(uintptr_t)buf, 1),
          FB_ENOENT);
    CHECK(exo_vfs_readdir(fd, 0, &(struct exo_dirent){ 0 }), FB_EINVAL);   /* not a directory */
    CHECK(exo_vfs_close(fd), FB_OK);
    CHECK(exo_vfs_close(fd), FB_ENOENT);
    CHECK(exo_vfs_read(fd, buf, 1), FB_ENOENT);
}

/* vfs_readdir over the root of the initrd. */
static void test_readdir(void)
{
    struct exo_dirent de;
    bool bin = false, etc = false, init = false, readme = false;
    int32_t fd = open_checked(__FILE__, __LINE__, "/", EXO_O_DIR);
    int64_t r = 0;

    if (fd < 0)
        return;
    for (uint32_t i = 0; i < 1000 && (r = exo_vfs_readdir(fd, i, &de)) == 1; i++) {
        bin |= strcmp(de.name, "bin") == 0 && de.type == EXO_S_DIR;
        etc |= strcmp(de.name, "etc") == 0 && de.type == EXO_S_DIR;
        init |= strcmp(de.name, "init") == 0 && de.type == EXO_S_FILE;
        readme |= strcmp(de.name, "README") == 0 && de.type == EXO_S_FILE;
    }
    CHECK(r, 0);
    CHECK_TRUE(bin && etc && init && readme);
    CHECK(exo_vfs_readdir(fd, 100000, &de), 0);
    CHECK(exo_syscall3(SYS_vfs_readdir, (uint64_t)fd, HI, (uintptr_t)&de), FB_EINVAL);
    for (size_t i = 0; i < n_bad_out; i++) {
        check_note("out", bad_out[i]);
        CHECK(exo_vfs_readdir(fd, 0, (struct exo_dirent *)bad_out[i]), FB_EFAULT);
    }
    check_note(NULL, 0);
    CHECK(exo_vfs_read(fd, &de, 1), FB_EINVAL);                    /* a directory */
    CHECK(exo_vfs_close(fd), FB_OK);
}

/* Making, writing, appending, truncating and removing files. */
static void test_write(void)
{
    char buf[64];
    struct exo_stat st;

    CHECK(exo_vfs_mkdir(P(TMP_DIR), 0755), FB_OK);
    CHECK(exo_vfs_mkdir(P(TMP_DIR), 0755), FB_EEXIST);
    CHECK(exo_vfs_mkdir(P("/nope/x"), 0755), FB_ENOENT);
    if (CHECK(exo_vfs_stat(P(TMP_DIR), &st), FB_OK) == FB_OK)
        CHECK(st.type, EXO_S_DIR);
    int32_t fd = open_checked(__FILE__, __LINE__, TMP_FILE,
                              EXO_O_READ | EXO_O_WRITE | EXO_O_CREATE);
    if (fd < 0)
        return;
    CHECK(exo_vfs_write(fd, "hello world", 11), 11);
    CHECK(exo_vfs_seek(fd, 0, EXO_SEEK_SET), 0);
    CHECK(exo_vfs_read(fd, buf, sizeof buf), 11);
    CHECK_TRUE(memcmp(buf, "hello world", 11) == 0);
    for (size_t i = 0; i < n_bad_in; i++) {
        check_note("buf", bad_in[i]);
        CHECK(exo_vfs_write(fd, (const void *)bad_in[i], 4), FB_EFAULT);
    }
    check_note(NULL, 0);
    CHECK(exo_vfs_write(fd, buf, IO_MAX + 1), FB_EINVAL);
    CHECK(exo_vfs_fstat(fd, &st), FB_OK);
    CHECK(st.size, 11);                                            /* failures wrote nothing */
    CHECK(exo_vfs_close(fd), FB_OK);

    fd = open_checked(__FILE__, __LINE__, TMP_FILE, EXO_O_WRITE | EXO_O_APPEND);
    if (fd >= 0) {
        CHECK(exo_vfs_write(fd, "!", 1), 1);
        CHECK(exo_vfs_read(fd, buf, 1), FB_EPERM);                 /* opened for writing */
        CHECK(exo_vfs_fstat(fd, &st), FB_OK);
        CHECK(st.size, 12);
        CHECK(exo_vfs_close(fd), FB_OK);
    }
    fd = open_checked(__FILE__, __LINE__, TMP_FILE, EXO_O_WRITE | EXO_O_TRUNC);
    if (fd >= 0) {
        CHECK(exo_vfs_fstat(fd, &st), FB_OK);
        CHECK(st.size, 0);
        CHECK(exo_vfs_close(fd), FB_OK);
    }

    CHECK(exo_vfs_unlink(P(TMP_DIR)), FB_EBUSY);                       /* not empty */
    CHECK(exo_vfs_unlink(P(TMP_FILE)), FB_OK);
    CHECK(exo_vfs_unlink(P(TMP_FILE)), FB_ENOENT);
    CHECK(exo_vfs_stat(P(TMP_FILE), &st), FB_ENOENT);
    CHECK(exo_vfs_unlink(P("/")), FB_EPERM);
    CHECK(exo_vfs_unlink(P(TMP_DIR)), FB_OK);
    CHECK(exo_vfs_stat(P(TMP_DIR), &st), FB_ENOENT);
}

/* The group. */
void test_vfs(void)
{
    cleanup();
    test_open();
    test_read();
    test_readdir();
    test_write();
    cleanup();
}
