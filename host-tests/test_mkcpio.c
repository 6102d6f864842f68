/* Specification of mkcpio (user/tools/mkcpio.c), the host tool that
 * writes the initrd: its archives pass the kernel's own cpio reader and
 * unpack into the VFS, byte for byte and mode for mode, the same inputs
 * give the same archive, and a name the kernel would refuse stops the
 * build instead of producing an initrd that boots empty. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cpio.h"
#include "expect.h"
#include "kerr.h"
#include "vfs.h"

#define BIG 4099   /* not a multiple of 4: the data needs padding */

static char dir[64];
static char small[96], big[96], empty[96], out[96];
static char big_data[BIG];

/* Writes n bytes to path with permission bits mode. */
static void write_file(const char *path, const void *data, size_t n, mode_t mode)
{
    FILE *f = fopen(path, "wb");

    cr_assert_not_null(f, "expected to create %s", path);
    cr_assert_eq(fwrite(data, 1, n, f), n);
    fclose(f);
    cr_assert_eq(chmod(path, mode), 0);
}

/* A scratch directory with three input files. */
static void setup(void)
{
    strcpy(dir, "/tmp/test_mkcpio.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(small, sizeof small, "%s/small", dir);
    snprintf(big, sizeof big, "%s/big", dir);
    snprintf(empty, sizeof empty, "%s/empty", dir);
    snprintf(out, sizeof out, "%s/out.cpio", dir);
    for (int i = 0; i < BIG; i++)
        big_data[i] = (char)(i * 7 + 1);
    write_file(small, "hello", 5, 0755);
    write_file(big, big_data, BIG, 0600);
    write_file(empty, "", 0, 0644);
}

/* Removes the scratch directory. */
static void teardown(void)
{
    unlink(small);
    unlink(big);
    unlink(empty);
    unlink(out);
    rmdir(dir);
}

/* Runs mkcpio with out and the n entries (n < 0: with no argument at
 * all); returns its exit status. */
static int run_mkcpio(const char *const *entries, int n)
{
    char *argv[16] = { FB_MKCPIO };
    pid_t pid;
    int status;

    if (n >= 0) {
        argv[1] = out;
        for (int i = 0; i < n; i++)
            argv[2 + i] = (char *)entries[i];
        argv[2 + n] = NULL;
    }
    pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        execv(FB_MKCPIO, argv);
        _exit(127);
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Reads the archive into a malloc'd buffer; *len gets its size. */
static char *read_out(size_t *len)
{
    FILE *f = fopen(out, "rb");
    char *buf = malloc(1 << 20);

    cr_assert_not_null(f, "expected mkcpio to have written %s", out);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

/* The entries of the tree the tests build. */
static int tree_entries(const char **e, char bufs[3][128])
{
    snprintf(bufs[0], 128, "file:bin/a=%s", small);
    snprintf(bufs[1], 128, "file:etc/b=%s", big);
    snprintf(bufs[2], 128, "file:README=%s", empty);
    e[0] = "dir:bin";
    e[1] = "dir:etc";
    e[2] = bufs[0];
    e[3] = bufs[1];
    e[4] = bufs[2];
    return 5;
}

/* Looks up name and checks its type, mode and contents. */
static void expect_entry(const char *a, size_t len, const char *name, enum cpio_type type,
                         uint32_t mode, const void *data, size_t size)
{
    struct cpio_entry e;

    expect(cpio_find(a, len, name, &e), FB_OK);
    cr_assert_eq(e.type, type, "expected %s of type %d", name, type);
    cr_assert_eq(e.mode, mode, "expected %s with mode %o, got %o", name, mode, e.mode);
    cr_assert_eq(e.size, size, "expected %s of %zu bytes", name, size);
    cr_assert(size == 0 || memcmp(e.data, data, size) == 0, "expected %s's bytes", name);
}

Test(mkcpio, archive_passes_the_kernel_reader_with_every_byte_and_mode, .init = setup,
     .fini = teardown)
{
    const char *e[8];
    char bufs[3][128];
    size_t len;
    uint32_t count;

    cr_assert_eq(run_mkcpio(e, tree_entries(e, bufs)), 0);
    char *a = read_out(&len);
    expect(cpio_check(a, len, &count), FB_OK);
    cr_assert_eq(count, 5);
    expect_entry(a, len, "bin", CPIO_DIR, 0755, NULL, 0);
    expect_entry(a, len, "bin/a", CPIO_REG, 0755, "hello", 5);
    expect_entry(a, len, "etc/b", CPIO_REG, 0600, big_data, BIG);
    expect_entry(a, len, "README", CPIO_REG, 0644, NULL, 0);
    free(a);
}

/* VFS block source for the unpack test. */
static void *blk_alloc(void *ctx)
{
    (void)ctx;
    return calloc(1, VFS_BLOCK_SIZE);
}

/* VFS block release. */
static void blk_free(void *ctx, void *b)
{
    (void)ctx;
    free(b);
}

Test(mkcpio, archive_unpacks_into_the_vfs, .init = setup, .fini = teardown)
{
    static struct vfs fs;
    static struct vfs_node nodes[16];
    const char *e[8];
    char bufs[3][128];
    char got[BIG];
    size_t len, n;
    vfs_handle_t h;

    cr_assert_eq(run_mkcpio(e, tree_entries(e, bufs)), 0);
    char *a = read_out(&len);
    expect(vfs_init(&fs, nodes, 16, blk_alloc, blk_free, NULL), FB_OK);
    expect(vfs_unpack_cpio(&fs, a, len), FB_OK);
    expect(vfs_lookup(&fs, "/etc/b", &h), FB_OK);
    expect(vfs_read(&fs, h, 0, got, sizeof got, &n), FB_OK);
    cr_assert(n == BIG && memcmp(got, big_data, BIG) == 0, "expected /etc/b's bytes");
    expect(vfs_check(&fs, NULL), FB_OK);
    free(a);
}

Test(mkcpio, same_inputs_give_the_same_archive, .init = setup, .fini = teardown)
{
    const char *e[8];
    char bufs[3][128];
    size_t l1, l2;

    cr_assert_eq(run_mkcpio(e, tree_entries(e, bufs)), 0);
    char *a = read_out(&l1);
    cr_assert_eq(run_mkcpio(e, tree_entries(e, bufs)), 0);
    char *b = read_out(&l2);
    cr_assert(l1 == l2 && memcmp(a, b, l1) == 0, "expected identical archives");
    free(a);
    free(b);
}

Test(mkcpio, names_the_kernel_refuses_fail_the_build_and_leave_no_archive, .init = setup,
     .fini = teardown)
{
    static const char *const bad[] = { "dir:/abs", "dir:a//b", "dir:../x", "dir:a/./b", "dir:",
                                       "dir:a/", "link:x", "file:x" };
    char entry[128];

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *e[1] = { bad[i] };
        cr_assert_eq(run_mkcpio(e, 1), 1, "expected '%s' refused", bad[i]);
        cr_assert_neq(access(out, F_OK), 0, "expected no archive left after '%s'", bad[i]);
    }
    snprintf(entry, sizeof entry, "file:x=%s/missing", dir);
    const char *e[1] = { entry };
    cr_assert_eq(run_mkcpio(e, 1), 1, "expected a missing input refused");
    cr_assert_neq(access(out, F_OK), 0);
    cr_assert_eq(run_mkcpio(NULL, -1), 2, "expected a usage error without an output");
}
