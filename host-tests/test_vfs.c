/* Specification of the VFS and its RAM filesystem (core/fs/vfs.c): paths,
 * handles that go stale, file data in blocks with holes, the size limit,
 * a block source that runs dry, a full node table, unpacking GNU cpio
 * archives all or nothing, and CPUs writing files at once. Every test
 * ends with vfs_check and a block count that matches the allocator's. */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block_source.h"
#include "expect.h"
#include "gnu_cpio.h"
#include "hal_host.h"
#include "kerr.h"
#include "vfs.h"

#define NODES 64
#define BS VFS_BLOCK_SIZE

_Static_assert(VFS_FILE_MAX >= (4u << 20), "an ELF image of 4 MiB fits one file");

static struct vfs fs;
static struct vfs_node nodes[NODES];

/* The block source: its count of blocks out and its budget. */
static struct block_source src = { 0, -1 };

/* A fresh filesystem of cap nodes. */
static void fresh(uint32_t cap)
{
    expect(vfs_init(&fs, nodes, cap, block_source_alloc, block_source_free, &src), FB_OK);
}

/* The filesystem is consistent and holds exactly the blocks it was given. */
static void expect_consistent(void)
{
    uint32_t bad;

    expect(vfs_check(&fs, &bad), FB_OK);
    cr_assert_eq((long)fs.blocks, src.live, "expected the filesystem to hold %ld blocks, it counts %lu",
                 src.live, (unsigned long)fs.blocks);
}

static vfs_handle_t mkfile(const char *path)
{
    vfs_handle_t h;

    expect(vfs_create(&fs, path, 0644, &h), FB_OK);
    return h;
}

static vfs_handle_t mkdir_(const char *path)
{
    vfs_handle_t h;

    expect(vfs_mkdir(&fs, path, 0755, &h), FB_OK);
    return h;
}

static vfs_handle_t look(const char *path)
{
    vfs_handle_t h;

    expect(vfs_lookup(&fs, path, &h), FB_OK);
    return h;
}

/* Byte i of the test pattern. */
static uint8_t pat(uint64_t i)
{
    return (uint8_t)(i * 131 + (i >> 12) + 7);
}

/* Writes pattern bytes [off, off + len) to h, all of them. */
static void write_pattern(vfs_handle_t h, uint64_t off, size_t len)
{
    uint8_t *buf = malloc(len);
    size_t put;

    for (size_t i = 0; i < len; i++)
        buf[i] = pat(off + i);
    expect(vfs_write(&fs, h, off, buf, len, &put), FB_OK);
    cr_assert_eq(put, len, "expected all %zu bytes written, got %zu", len, put);
    free(buf);
}

/* Reads [off, off + len) of h and expects the pattern, or zeros where
 * zero_from <= i < zero_to. */
static void expect_pattern(vfs_handle_t h, uint64_t off, size_t len, uint64_t zero_from,
                           uint64_t zero_to)
{
    uint8_t *buf = malloc(len);
    size_t got;

    expect(vfs_read(&fs, h, off, buf, len, &got), FB_OK);
    cr_assert_eq(got, len, "expected %zu bytes read, got %zu", len, got);
    for (size_t i = 0; i < len; i++) {
        uint8_t want = off + i >= zero_from && off + i < zero_to ? 0 : pat(off + i);

        cr_assert_eq(buf[i], want, "byte %lu: expected %u, got %u", (unsigned long)(off + i),
                     want, buf[i]);
    }
    free(buf);
}

static struct vfs_stat stat_of(vfs_handle_t h)
{
    struct vfs_stat st;

    expect(vfs_stat(&fs, h, &st), FB_OK);
    return st;
}

/* ---- init and the root ---- */

Test(vfs, init_rejects_null_arguments_and_bad_capacities)
{
    expect(vfs_init(NULL, nodes, NODES, block_source_alloc, block_source_free, &src), FB_EINVAL);
    expect(vfs_init(&fs, NULL, NODES, block_source_alloc, block_source_free, &src), FB_EINVAL);
    expect(vfs_init(&fs, nodes, 0, block_source_alloc, block_source_free, &src), FB_EINVAL);
    expect(vfs_init(&fs, nodes, VFS_NODES_MAX + 1, block_source_alloc, block_source_free, &src), FB_EINVAL);
    expect(vfs_init(&fs, nodes, NODES, NULL, block_source_free, &src), FB_EINVAL);
    expect(vfs_init(&fs, nodes, NODES, block_source_alloc, NULL, &src), FB_EINVAL);
}

Test(vfs, new_filesystem_is_an_empty_root_directory)
{
    vfs_handle_t root;
    struct vfs_stat st;

    fresh(NODES);
    root = look("/");
    st = stat_of(root);
    cr_assert_eq(st.type, VFS_DIR);
    cr_assert_eq(st.mode, 0755);
    cr_assert_eq(st.nlink, 2, "expected an empty directory to have 2 links");
    cr_assert_eq(st.size, 0);
    expect(vfs_readdir(&fs, root, 0, NULL, NULL), FB_ENOENT);
    expect_consistent();
}

/* ---- lookup ---- */

Test(vfs, lookup_resolves_dot_dotdot_and_repeated_slashes)
{
    fresh(NODES);
    mkdir_("/a");
    mkdir_("/a/b");
    vfs_handle_t f = mkfile("/a/b/f");

    cr_assert_eq(look("//a///b/./f"), f);
    cr_assert_eq(look("/a/b/../b/f"), f);
    cr_assert_eq(look("/a/b/.."), look("/a"));
    cr_assert_eq(look("/a/b/"), look("/a/b"));
    cr_assert_eq(look("/a/."), look("/a"));
}

Test(vfs, dotdot_at_the_root_stays_at_the_root)
{
    fresh(NODES);
    mkdir_("/a");
    cr_assert_eq(look("/.."), look("/"));
    cr_assert_eq(look("/../../a"), look("/a"));
    cr_assert_eq(look("/a/../../.."), look("/"));
}

Test(vfs, lookup_of_a_missing_name_is_enoent)
{
    vfs_handle_t h;

    fresh(NODES);
    mkdir_("/a");
    expect(vfs_lookup(&fs, "/b", &h), FB_ENOENT);
    expect(vfs_lookup(&fs, "/b/c", &h), FB_ENOENT);
    expect(vfs_lookup(&fs, "/a/c", &h), FB_ENOENT);
}

Test(vfs, a_file_in_the_middle_of_a_path_is_enotsup)
{
    vfs_handle_t h;

    fresh(NODES);
    mkfile("/f");
    expect(vfs_lookup(&fs, "/f/x", &h), FB_ENOTSUP);
    expect(vfs_lookup(&fs, "/f/.", &h), FB_ENOTSUP);
    expect(vfs_lookup(&fs, "/f/..", &h), FB_ENOTSUP);
}

Test(vfs, a_trailing_slash_after_a_file_is_enotsup)
{
    vfs_handle_t h;

    fresh(NODES);
    mkfile("/f");
    expect(vfs_lookup(&fs, "/f/", &h), FB_ENOTSUP);
}

Test(vfs, relative_empty_or_null_paths_are_einval)
{
    vfs_handle_t h;

    fresh(NODES);
    mkfile("/f");
    expect(vfs_lookup(&fs, "f", &h), FB_EINVAL);
    expect(vfs_lookup(&fs, "", &h), FB_EINVAL);
    expect(vfs_lookup(&fs, NULL, &h), FB_EINVAL);
    expect(vfs_lookup(&fs, "/f", NULL), FB_EINVAL);
    expect(vfs_lookup(NULL, "/f", &h), FB_EINVAL);
    expect(vfs_create(&fs, "g", 0644, &h), FB_EINVAL);
    expect(vfs_unlink(&fs, "f"), FB_EINVAL);
}

Test(vfs, a_path_longer_than_path_max_is_erange)
{
    char path[VFS_PATH_MAX + 2];
    vfs_handle_t h;

    fresh(NODES);
    memset(path, '/', VFS_PATH_MAX);
    path[VFS_PATH_MAX] = '\0';
    cr_assert_eq(look(path), look("/"), "expected a path of exactly VFS_PATH_MAX slashes to work");
    path[VFS_PATH_MAX] = '/';
    path[VFS_PATH_MAX + 1] = '\0';
    expect(vfs_lookup(&fs, path, &h), FB_ERANGE);
    expect(vfs_create(&fs, path, 0644, &h), FB_ERANGE);
}

Test(vfs, a_name_longer_than_name_max_is_erange)
{
    char path[VFS_NAME_MAX + 8];
    char name[VFS_NAME_MAX + 1];
    vfs_handle_t h;

    fresh(NODES);
    path[0] = '/';
    memset(path + 1, 'n', VFS_NAME_MAX + 1);
    path[VFS_NAME_MAX + 2] = '\0';
    expect(vfs_create(&fs, path, 0644, &h), FB_ERANGE);
    expect(vfs_lookup(&fs, path, &h), FB_ERANGE);
    strcpy(path + VFS_NAME_MAX + 2, "/x");
    expect(vfs_lookup(&fs, path, &h), FB_ERANGE);
    path[VFS_NAME_MAX + 1] = '\0';
    h = mkfile(path);
    expect(vfs_readdir(&fs, look("/"), 0, name, NULL), FB_OK);
    cr_assert_str_eq(name, path + 1, "expected a name of VFS_NAME_MAX bytes to be kept whole");
    expect_consistent();
}

/* ---- create, mkdir ---- */

Test(vfs, create_makes_an_empty_file_with_its_mode)
{
    struct vfs_stat st;

    fresh(NODES);
    st = stat_of(mkfile("/f"));
    cr_assert_eq(st.type, VFS_REG);
    cr_assert_eq(st.mode, 0644);
    cr_assert_eq(st.size, 0);
    cr_assert_eq(st.nlink, 1);
    cr_assert_eq(st.blocks, 0);
    cr_assert_eq(st.mtime, 0);
    expect_consistent();
}

Test(vfs, create_may_leave_the_handle_unreturned)
{
    fresh(NODES);
    expect(vfs_create(&fs, "/f", 0600, NULL), FB_OK);
    cr_assert_eq(stat_of(look("/f")).mode, 0600);
}

Test(vfs, creating_an_existing_name_is_eexist)
{
    fresh(NODES);
    mkfile("/f");
    mkdir_("/d");
    expect(vfs_create(&fs, "/f", 0644, NULL), FB_EEXIST);
    expect(vfs_mkdir(&fs, "/f", 0755, NULL), FB_EEXIST);
    expect(vfs_create(&fs, "/d", 0644, NULL), FB_EEXIST);
    expect(vfs_symlink(&fs, "/d", "x", NULL), FB_EEXIST);
    expect_consistent();
}

Test(vfs, creating_dot_dotdot_or_the_root_is_eexist)
{
    fresh(NODES);
    mkdir_("/d");
    expect(vfs_create(&fs, "/d/.", 0644, NULL), FB_EEXIST);
    expect(vfs_mkdir(&fs, "/d/..", 0755, NULL), FB_EEXIST);
    expect(vfs_mkdir(&fs, "/", 0755, NULL), FB_EEXIST);
    expect_consistent();
}

Test(vfs, a_mode_above_07777_is_einval)
{
    fresh(NODES);
    expect(vfs_create(&fs, "/f", 010000, NULL), FB_EINVAL);
    expect(vfs_mkdir(&fs, "/d", 0100755, NULL), FB_EINVAL);
}

Test(vfs, a_file_path_ending_in_slash_is_einval_but_a_directory_path_may)
{
    fresh(NODES);
    expect(vfs_create(&fs, "/f/", 0644, NULL), FB_EINVAL);
    expect(vfs_symlink(&fs, "/l/", "x", NULL), FB_EINVAL);
    expect(vfs_mkdir(&fs, "/d//", 0755, NULL), FB_OK);
    cr_assert_eq(stat_of(look("/d")).type, VFS_DIR);
}

Test(vfs, creating_in_a_missing_directory_is_enoent_and_under_a_file_enotsup)
{
    fresh(NODES);
    mkfile("/f");
    expect(vfs_create(&fs, "/nope/f", 0644, NULL), FB_ENOENT);
    expect(vfs_create(&fs, "/f/g", 0644, NULL), FB_ENOTSUP);
    expect(vfs_mkdir(&fs, "/f/d", 0755, NULL), FB_ENOTSUP);
}

Test(vfs, subdirectories_count_in_the_link_count)
{
    fresh(NODES);
    mkdir_("/a");
    mkdir_("/b");
    mkfile("/f");
    cr_assert_eq(stat_of(look("/")).nlink, 4, "expected 2 + two subdirectories");
    cr_assert_eq(stat_of(look("/")).size, 3, "expected a directory's size to count its entries");
    expect(vfs_unlink(&fs, "/a"), FB_OK);
    cr_assert_eq(stat_of(look("/")).nlink, 3);
}

Test(vfs, a_full_node_table_is_enospc_until_a_node_is_freed)
{
    fresh(4);
    mkfile("/a");
    mkfile("/b");
    mkdir_("/c");
    expect(vfs_create(&fs, "/d", 0644, NULL), FB_ENOSPC);
    expect(vfs_mkdir(&fs, "/d", 0755, NULL), FB_ENOSPC);
    expect(vfs_symlink(&fs, "/d", "a", NULL), FB_ENOSPC);
    expect_consistent();
    expect(vfs_unlink(&fs, "/b"), FB_OK);
    mkfile("/d");
    expect_consistent();
}

/* ---- symlinks ---- */

Test(vfs, a_symlink_holds_its_target_as_contents)
{
    vfs_handle_t l;
    struct vfs_stat st;
    char buf[16];
    size_t got;

    fresh(NODES);
    expect(vfs_symlink(&fs, "/l", "../some/target", &l), FB_OK);
    st = stat_of(l);
    cr_assert_eq(st.type, VFS_SYMLINK);
    cr_assert_eq(st.mode, 0777);
    cr_assert_eq(st.size, 14);
    expect(vfs_read(&fs, l, 0, buf, sizeof buf, &got), FB_OK);
    cr_assert_eq(got, 14);
    cr_assert_arr_eq(buf, "../some/target", 14);
    expect_consistent();
}

Test(vfs, a_symlink_is_never_followed_in_a_path)
{
    vfs_handle_t h;

    fresh(NODES);
    mkdir_("/d");
    mkfile("/d/f");
    expect(vfs_symlink(&fs, "/l", "/d", NULL), FB_OK);
    expect(vfs_lookup(&fs, "/l/f", &h), FB_ENOTSUP);
    cr_assert_eq(stat_of(look("/l")).type, VFS_SYMLINK);
}

Test(vfs, a_symlink_target_must_be_non_empty_and_at_most_link_max)
{
    char target[VFS_LINK_MAX + 2];

    fresh(NODES);
    expect(vfs_symlink(&fs, "/l", "", NULL), FB_EINVAL);
    expect(vfs_symlink(&fs, "/l", NULL, NULL), FB_EINVAL);
    memset(target, 't', VFS_LINK_MAX + 1);
    target[VFS_LINK_MAX + 1] = '\0';
    expect(vfs_symlink(&fs, "/l", target, NULL), FB_ERANGE);
    target[VFS_LINK_MAX] = '\0';
    expect(vfs_symlink(&fs, "/l", target, NULL), FB_OK);
    cr_assert_eq(stat_of(look("/l")).size, VFS_LINK_MAX);
    expect_consistent();
}

Test(vfs, a_symlink_cannot_be_written_or_truncated)
{
    vfs_handle_t l;
    size_t put;

    fresh(NODES);
    expect(vfs_symlink(&fs, "/l", "x", &l), FB_OK);
    expect(vfs_write(&fs, l, 0, "y", 1, &put), FB_EINVAL);
    expect(vfs_truncate(&fs, l, 0), FB_EINVAL);
}

Test(vfs, a_symlink_without_a_block_is_enomem_and_leaves_nothing)
{
    vfs_handle_t h;

    fresh(NODES);
    src.budget = 1;   /* the data block, not its index block */
    expect(vfs_symlink(&fs, "/l", "x", NULL), FB_ENOMEM);
    expect(vfs_lookup(&fs, "/l", &h), FB_ENOENT);
    cr_assert_eq(src.live, 0, "expected every block given back");
    expect_consistent();
}

/* ---- unlink and handles ---- */

Test(vfs, unlink_removes_the_name_and_frees_every_block)
{
    vfs_handle_t f, h;

    fresh(NODES);
    f = mkfile("/f");
    write_pattern(f, 0, 3 * BS + 1);
    write_pattern(f, 3 * BS * 512, 10);   /* a second index block */
    expect(vfs_unlink(&fs, "/f"), FB_OK);
    expect(vfs_lookup(&fs, "/f", &h), FB_ENOENT);
    cr_assert_eq(src.live, 0, "expected every block of the file given back, %ld are not", src.live);
    expect_consistent();
}

Test(vfs, every_operation_on_an_unlinked_handle_is_estale)
{
    vfs_handle_t f, d;
    struct vfs_stat st;
    char b[4];
    size_t n;

    fresh(NODES);
    f = mkfile("/f");
    d = mkdir_("/d");
    expect(vfs_unlink(&fs, "/f"), FB_OK);
    expect(vfs_unlink(&fs, "/d"), FB_OK);
    expect(vfs_read(&fs, f, 0, b, sizeof b, &n), FB_ESTALE);
    expect(vfs_write(&fs, f, 0, b, sizeof b, &n), FB_ESTALE);
    expect(vfs_truncate(&fs, f, 0), FB_ESTALE);
    expect(vfs_stat(&fs, f, &st), FB_ESTALE);
    expect(vfs_readdir(&fs, d, 0, NULL, NULL), FB_ESTALE);
}

Test(vfs, a_reused_slot_never_revives_an_old_handle)
{
    vfs_handle_t old, new;
    size_t got;
    char b[8];

    fresh(2);   /* one slot besides the root: the new file must reuse it */
    old = mkfile("/old");
    expect(vfs_unlink(&fs, "/old"), FB_OK);
    new = mkfile("/new");
    cr_assert_eq((uint32_t)old, (uint32_t)new, "expected the slot to be reused");
    write_pattern(new, 0, 8);
    expect(vfs_read(&fs, old, 0, b, sizeof b, &got), FB_ESTALE);
    cr_assert_eq(got, 0);
}

Test(vfs, handles_never_issued_are_ebadcap)
{
    struct vfs_stat st;
    vfs_handle_t f;

    fresh(NODES);
    f = mkfile("/f");
    expect(vfs_stat(&fs, (uint32_t)f, &st), FB_EBADCAP);              /* generation 0 */
    expect(vfs_stat(&fs, (f & ~0xffffffffull) | NODES, &st), FB_EBADCAP); /* past the table */
    expect(vfs_stat(&fs, 0, &st), FB_EBADCAP);
    expect(vfs_stat(&fs, f + (1ull << 32), &st), FB_ESTALE);           /* a later generation */
}

Test(vfs, unlinking_a_non_empty_directory_is_ebusy)
{
    vfs_handle_t h;

    fresh(NODES);
    mkdir_("/d");
    mkfile("/d/f");
    expect(vfs_unlink(&fs, "/d"), FB_EBUSY);
    expect(vfs_unlink(&fs, "/d/f"), FB_OK);
    expect(vfs_unlink(&fs, "/d/"), FB_OK);
    expect(vfs_lookup(&fs, "/d", &h), FB_ENOENT);
    expect_consistent();
}

Test(vfs, unlinking_the_root_is_eperm)
{
    fresh(NODES);
    expect(vfs_unlink(&fs, "/"), FB_EPERM);
    expect(vfs_unlink(&fs, "///"), FB_EPERM);
}

Test(vfs, unlinking_dot_or_dotdot_is_einval)
{
    fresh(NODES);
    mkdir_("/d");
    expect(vfs_unlink(&fs, "/d/."), FB_EINVAL);
    expect(vfs_unlink(&fs, "/d/.."), FB_EINVAL);
    expect(vfs_unlink(&fs, "/.."), FB_EINVAL);
}

Test(vfs, unlinking_a_missing_name_is_enoent_and_a_file_with_slash_enotsup)
{
    fresh(NODES);
    mkfile("/f");
    expect(vfs_unlink(&fs, "/g"), FB_ENOENT);
    expect(vfs_unlink(&fs, "/f/"), FB_ENOTSUP);
    expect(vfs_unlink(&fs, "/f/x"), FB_ENOTSUP);
    expect(vfs_unlink(NULL, "/f"), FB_EINVAL);
}

/* ---- read and write ---- */

Test(vfs, data_round_trips_across_block_boundaries)
{
    vfs_handle_t f;

    fresh(NODES);
    f = mkfile("/f");
    write_pattern(f, 0, 100);
    write_pattern(f, 100, 3 * BS + 17);
    cr_assert_eq(stat_of(f).size, 3 * BS + 117);
    cr_assert_eq(stat_of(f).blocks, 4 + 1, "expected four data blocks and one index block");
    expect_pattern(f, 0, 3 * BS + 117, 0, 0);
    expect_pattern(f, BS - 3, 7, 0, 0);
    expect_consistent();
}

Test(vfs, reads_are_short_at_the_end_and_empty_past_it)
{
    vfs_handle_t f;
    uint8_t buf[64];
    size_t got;

    fresh(NODES);
    f = mkfile("/f");
    write_pattern(f, 0, 10);
    expect(vfs_read(&fs, f, 4, buf, sizeof buf, &got), FB_OK);
    cr_assert_eq(got, 6, "expected a read across the end to stop there");
    expect(vfs_read(&fs, f, 10, buf, sizeof buf, &got), FB_OK);
    cr_assert_eq(got, 0);
    expect(vfs_read(&fs, f, UINT64_MAX, buf, sizeof buf, &got), FB_OK);
    cr_assert_eq(got, 0);
}

Test(vfs, a_hole_reads_as_zeros_and_holds_no_block)
{
    vfs_handle_t f;

    fresh(NODES);
    f = mkfile("/f");
    write_pattern(f, 0, 10);
    write_pattern(f, 5 * BS + 3, 10);
    cr_assert_eq(stat_of(f).size, 5 * BS + 13);
    cr_assert_eq(stat_of(f).blocks, 2 + 1, "expected no block for the hole");
    expect_pattern(f, 0, 5 * BS + 13, 10, 5 * BS + 3);
    expect_consistent();
}

Test(vfs, a_zero_length_write_changes_nothing)
{
    vfs_handle_t f;
    size_t put = 99;

    fresh(NODES);
    f = mkfile("/f");
    expect(vfs_write(&fs, f, 1000, NULL, 0, &put), FB_OK);
    cr_assert_eq(put, 0);
    cr_assert_eq(stat_of(f).size, 0);
    cr_assert_eq(src.live, 0);
}

Test(vfs, reading_or_writing_a_directory_is_einval)
{
    vfs_handle_t d;
    char b[4];
    size_t n;

    fresh(NODES);
    d = mkdir_("/d");
    expect(vfs_read(&fs, d, 0, b, sizeof b, &n), FB_EINVAL);
    expect(vfs_write(&fs, d, 0, b, sizeof b, &n), FB_EINVAL);
    expect(vfs_truncate(&fs, d, 0), FB_EINVAL);
}

Test(vfs, null_buffers_and_counts_are_einval)
{
    vfs_handle_t f;
    char b[4];
    size_t n;

    fresh(NODES);
    f = mkfile("/f");
    expect(vfs_read(&fs, f, 0, NULL, 1, &n), FB_EINVAL);
    expect(vfs_read(&fs, f, 0, b, 1, NULL), FB_EINVAL);
    expect(vfs_write(&fs, f, 0, NULL, 1, &n), FB_EINVAL);
    expect(vfs_write(&fs, f, 0, b, 1, NULL), FB_EINVAL);
    expect(vfs_stat(&fs, f, NULL), FB_EINVAL);
    expect(vfs_read(NULL, f, 0, b, 1, &n), FB_EINVAL);
}

Test(vfs, a_file_of_several_mebibytes_round_trips)
{
    vfs_handle_t f;
    size_t len = 5u << 20;

    fresh(NODES);
    f = mkfile("/kernel.elf");
    write_pattern(f, 0, len);
    cr_assert_eq(stat_of(f).blocks, len / BS + 3, "expected 1280 data and 3 index blocks");
    expect_pattern(f, 0, len, 0, 0);
    expect_consistent();
}

Test(vfs, a_file_grows_to_exactly_file_max)
{
    vfs_handle_t f;

    fresh(NODES);
    f = mkfile("/f");
    write_pattern(f, VFS_FILE_MAX - 1, 1);
    cr_assert_eq(stat_of(f).size, VFS_FILE_MAX);
    cr_assert_eq(stat_of(f).blocks, 2, "expected one data block and its index block");
    expect_pattern(f, VFS_FILE_MAX - BS, BS, 0, VFS_FILE_MAX - 1);
    expect_consistent();
}

Test(vfs, a_write_past_file_max_is_erange_and_writes_nothing)
{
    vfs_handle_t f;
    char b[2] = { 1, 2 };
    size_t put = 99;

    fresh(NODES);
    f = mkfile("/f");
    expect(vfs_write(&fs, f, VFS_FILE_MAX - 1, b, 2, &put), FB_ERANGE);
    cr_assert_eq(put, 0);
    expect(vfs_write(&fs, f, UINT64_MAX, b, 1, &put), FB_ERANGE);
    expect(vfs_write(&fs, f, VFS_FILE_MAX, b, 1, &put), FB_ERANGE);
    cr_assert_eq(stat_of(f).size, 0);
    cr_assert_eq(src.live, 0, "expected no block taken by a refused write");
}

Test(vfs, a_block_source_running_dry_mid_write_keeps_the_size_to_the_written_data)
{
    vfs_handle_t f;
    uint8_t *buf = malloc(5 * BS);
    size_t put;

    fresh(NODES);
    f = mkfile("/f");
    for (size_t i = 0; i < 5 * BS; i++)
        buf[i] = pat(100 + i);
    src.budget = 3;   /* index + data block, then one more data block */
    expect(vfs_write(&fs, f, 100, buf, 5 * BS, &put), FB_ENOMEM);
    cr_assert_eq(put, 2 * BS - 100, "expected the bytes of the two blocks written, got %zu", put);
    cr_assert_eq(stat_of(f).size, 2 * BS, "expected the size to end at the written data");
    expect_pattern(f, 0, 2 * BS, 0, 100);
    expect_consistent();
    free(buf);
}

Test(vfs, a_failed_index_block_gives_its_data_block_back)
{
    vfs_handle_t f;
    size_t put;

    fresh(NODES);
    f = mkfile("/f");
    src.budget = 1;
    expect(vfs_write(&fs, f, 0, "x", 1, &put), FB_ENOMEM);
    cr_assert_eq(put, 0);
    cr_assert_eq(stat_of(f).size, 0);
    cr_assert_eq(src.live, 0, "expected the data block given back");
    expect_consistent();
}

/* ---- truncate ---- */

Test(vfs, shrinking_frees_blocks_past_the_end_and_zeroes_the_tail)
{
    vfs_handle_t f;

    fresh(NODES);
    f = mkfile("/f");
    write_pattern(f, 0, 3 * BS);
    expect(vfs_truncate(&fs, f, BS + 5), FB_OK);
    cr_assert_eq(stat_of(f).blocks, 2 + 1);
    cr_assert_eq(src.live, 3);
    expect(vfs_truncate(&fs, f, 3 * BS), FB_OK);
    expect_pattern(f, 0, 3 * BS, BS + 5, 3 * BS);
    expect_consistent();
}

Test(vfs, truncating_to_zero_frees_every_block)
{
    vfs_handle_t f;

    fresh(NODES);
    f = mkfile("/f");
    write_pattern(f, 0, 2 * BS);
    write_pattern(f, 4 * 512 * BS, 1);
    expect(vfs_truncate(&fs, f, 0), FB_OK);
    cr_assert_eq(src.live, 0, "expected every block given back, %ld are not", src.live);
    cr_assert_eq(stat_of(f).size, 0);
    expect_consistent();
}

Test(vfs, growing_by_truncate_makes_a_hole_without_blocks)
{
    vfs_handle_t f;

    fresh(NODES);
    f = mkfile("/f");
    write_pattern(f, 0, 10);
    expect(vfs_truncate(&fs, f, 3 * BS), FB_OK);
    cr_assert_eq(stat_of(f).size, 3 * BS);
    cr_assert_eq(src.live, 2);
    expect_pattern(f, 0, 3 * BS, 10, 3 * BS);
    expect_consistent();
}

Test(vfs, truncating_past_file_max_is_erange)
{
    vfs_handle_t f;

    fresh(NODES);
    f = mkfile("/f");
    expect(vfs_truncate(&fs, f, VFS_FILE_MAX + 1), FB_ERANGE);
    expect(vfs_truncate(&fs, f, VFS_FILE_MAX), FB_OK);
    expect(vfs_truncate(NULL, f, 0), FB_EINVAL);
}

/* ---- readdir ---- */

Test(vfs, readdir_lists_entries_in_creation_order_then_enoent)
{
    static const char *const names[] = { "zeta", "alpha", "mid" };
    char name[VFS_NAME_MAX + 1], path[VFS_NAME_MAX + 2];
    vfs_handle_t root, h;

    fresh(NODES);
    mkfile("/zeta");
    mkdir_("/alpha");
    expect(vfs_symlink(&fs, "/mid", "x", NULL), FB_OK);
    root = look("/");
    for (uint32_t i = 0; i < 3; i++) {
        expect(vfs_readdir(&fs, root, i, name, &h), FB_OK);
        cr_assert_str_eq(name, names[i], "entry %u: expected %s, got %s", i, names[i], name);
        snprintf(path, sizeof path, "/%s", names[i]);
        cr_assert_eq(h, look(path), "entry %u: expected the handle of %s", i, path);
    }
    expect(vfs_readdir(&fs, root, 3, name, &h), FB_ENOENT);
}

Test(vfs, unlinking_moves_later_entries_down_by_one)
{
    char name[VFS_NAME_MAX + 1];
    vfs_handle_t root;

    fresh(NODES);
    mkfile("/a");
    mkfile("/b");
    mkfile("/c");
    root = look("/");
    expect(vfs_unlink(&fs, "/b"), FB_OK);
    expect(vfs_readdir(&fs, root, 1, name, NULL), FB_OK);
    cr_assert_str_eq(name, "c");
    mkfile("/b");
    expect(vfs_readdir(&fs, root, 2, name, NULL), FB_OK);
    cr_assert_str_eq(name, "b", "expected a new entry to come last");
    expect_consistent();
}

Test(vfs, readdir_of_a_file_is_enotsup)
{
    fresh(NODES);
    expect(vfs_readdir(&fs, mkfile("/f"), 0, NULL, NULL), FB_ENOTSUP);
    expect(vfs_readdir(NULL, look("/"), 0, NULL, NULL), FB_EINVAL);
}

/* ---- cpio ---- */

/* The GNU archive with its zero padding, as the boot loader hands it over. */
static const uint8_t *gnu_archive(void)
{
    static uint8_t a[GNU_FILE];

    memcpy(a, gnu_newc, GNU_LEN);
    return a;
}

/* Appends a newc entry to a[*len]. */
static void add_entry(uint8_t *a, size_t *len, const char *name, uint32_t mode, const char *data)
{
    size_t dlen = data ? strlen(data) : 0;

    *len += (size_t)sprintf((char *)a + *len, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X",
                            1u, mode, 0u, 0u, 1u, 0u, dlen, 0u, 0u, 0u, 0u, strlen(name) + 1, 0u);
    memcpy(a + *len, name, strlen(name) + 1);
    *len = (*len + strlen(name) + 1 + 3) & ~(size_t)3;
    memcpy(a + *len, data ? data : "", dlen);
    *len = (*len + dlen + 3) & ~(size_t)3;
}

/* A newc archive of the entries names[i] (directories when modes[i] has
 * 040000), NUL-padded, in a (zeroed, 4096 bytes); returns its length. */
static size_t build(uint8_t *a, size_t n, const char *const *names, const uint32_t *modes)
{
    size_t len = 0;

    memset(a, 0, 4096);
    for (size_t i = 0; i < n; i++)
        add_entry(a, &len, names[i], modes[i], (modes[i] & 0170000) == 0100000 ? "data" : NULL);
    add_entry(a, &len, "TRAILER!!!", 0, NULL);
    return len;
}

/* The root holds no entry and no block is held. */
static void expect_empty(void)
{
    expect(vfs_readdir(&fs, look("/"), 0, NULL, NULL), FB_ENOENT);
    cr_assert_eq(fs.used, 1, "expected only the root left, %u nodes are used", fs.used);
    cr_assert_eq(src.live, 0, "expected every block given back");
    expect_consistent();
}

Test(vfs, a_gnu_archive_unpacks_byte_for_byte)
{
    struct vfs_stat st;
    char buf[16];
    size_t got;
    vfs_handle_t hi, sh;

    fresh(NODES);
    expect(vfs_unpack_cpio(&fs, gnu_archive(), GNU_FILE), FB_OK);
    st = stat_of(look("/bin"));
    cr_assert_eq(st.type, VFS_DIR);
    cr_assert_eq(st.mode, 0755);
    cr_assert_eq(st.mtime, MTIME);
    hi = look("/bin/hi");
    st = stat_of(hi);
    cr_assert_eq(st.type, VFS_REG);
    cr_assert_eq(st.mode, 0755);
    cr_assert_eq(st.size, 6);
    cr_assert_eq(st.mtime, MTIME);
    expect(vfs_read(&fs, hi, 0, buf, sizeof buf, &got), FB_OK);
    cr_assert_eq(got, 6);
    cr_assert_arr_eq(buf, "hello\n", 6);
    sh = look("/bin/sh");
    cr_assert_eq(stat_of(sh).type, VFS_SYMLINK);
    expect(vfs_read(&fs, sh, 0, buf, sizeof buf, &got), FB_OK);
    cr_assert_eq(got, 2);
    cr_assert_arr_eq(buf, "hi", 2);
    cr_assert_eq(stat_of(look("/")).size, 1, "expected \".\" not to become an entry");
    expect_consistent();
}

Test(vfs, a_bad_archive_changes_nothing)
{
    uint8_t a[GNU_LEN];

    fresh(NODES);
    memcpy(a, gnu_newc, GNU_LEN);
    expect(vfs_unpack_cpio(&fs, a, GNU_LEN - 1), FB_ETRUNC);
    expect_empty();
    a[400] = 'g';   /* a hex digit of bin/sh's header */
    expect(vfs_unpack_cpio(&fs, a, GNU_LEN), FB_EINVAL);
    expect_empty();
    expect(vfs_unpack_cpio(&fs, NULL, GNU_LEN), FB_EINVAL);
    expect(vfs_unpack_cpio(NULL, a, GNU_LEN), FB_EINVAL);
}

Test(vfs, an_archive_merges_into_an_existing_directory)
{
    fresh(NODES);
    expect(vfs_mkdir(&fs, "/bin", 0700, NULL), FB_OK);
    mkfile("/bin/old");
    expect(vfs_unpack_cpio(&fs, gnu_archive(), GNU_FILE), FB_OK);
    cr_assert_eq(stat_of(look("/bin")).mode, 0700, "expected the existing directory's mode kept");
    cr_assert_eq(stat_of(look("/bin")).size, 3);
    expect_consistent();
}

Test(vfs, a_type_conflict_rolls_the_whole_unpack_back)
{
    vfs_handle_t h;

    fresh(NODES);
    mkdir_("/bin");
    mkdir_("/bin/sh");   /* the archive's symlink meets a directory */
    expect(vfs_unpack_cpio(&fs, gnu_archive(), GNU_FILE), FB_EEXIST);
    expect(vfs_lookup(&fs, "/bin/hi", &h), FB_ENOENT);
    cr_assert_eq(stat_of(look("/bin")).size, 1);
    cr_assert_eq(src.live, 0);
    expect_consistent();
}

Test(vfs, unpacking_the_same_archive_twice_is_eexist_and_changes_nothing)
{
    fresh(NODES);
    expect(vfs_unpack_cpio(&fs, gnu_archive(), GNU_FILE), FB_OK);
    long blocks = src.live;

    expect(vfs_unpack_cpio(&fs, gnu_archive(), GNU_FILE), FB_EEXIST);
    cr_assert_eq(fs.used, 4);
    cr_assert_eq(src.live, blocks);
    expect_consistent();
}

Test(vfs, a_block_source_running_dry_rolls_the_unpack_back)
{
    fresh(NODES);
    src.budget = 3;   /* bin/hi gets its two, bin/sh's index block fails */
    expect(vfs_unpack_cpio(&fs, gnu_archive(), GNU_FILE), FB_ENOMEM);
    expect_empty();
}

Test(vfs, a_full_node_table_rolls_the_unpack_back)
{
    fresh(3);
    expect(vfs_unpack_cpio(&fs, gnu_archive(), GNU_FILE), FB_ENOSPC);
    expect_empty();
}

Test(vfs, an_archive_entry_without_its_parent_is_enoent)
{
    static const char *const names[] = { "a", "b/c" };
    static const uint32_t modes[] = { 0100644, 0100644 };
    uint8_t a[4096];
    size_t len = build(a, 2, names, modes);

    fresh(NODES);
    expect(vfs_unpack_cpio(&fs, a, len), FB_ENOENT);
    expect_empty();
}

Test(vfs, an_archive_entry_under_a_file_is_enotsup)
{
    static const char *const names[] = { "d", "d/f", "d/f/g" };
    static const uint32_t modes[] = { 040755, 0100644, 0100644 };
    uint8_t a[4096];
    size_t len = build(a, 3, names, modes);

    fresh(NODES);
    expect(vfs_unpack_cpio(&fs, a, len), FB_ENOTSUP);
    expect_empty();
}

Test(vfs, an_archive_may_nest_directories_deeply)
{
    static const char *const names[] = { "a", "a/b", "a/b/c", "a/b/c/f", "a/g" };
    static const uint32_t modes[] = { 040755, 040700, 040755, 0100600, 0100644 };
    uint8_t a[4096], buf[8];
    size_t len = build(a, 5, names, modes), got;

    fresh(NODES);
    expect(vfs_unpack_cpio(&fs, a, len), FB_OK);
    expect(vfs_read(&fs, look("/a/b/c/f"), 0, buf, sizeof buf, &got), FB_OK);
    cr_assert_eq(got, 4);
    cr_assert_arr_eq(buf, "data", 4);
    cr_assert_eq(stat_of(look("/a/b")).mode, 0700);
    cr_assert_eq(stat_of(look("/a/g")).mode, 0644);
    expect_consistent();
}

/* ---- the checker ---- */

Test(vfs, check_finds_a_wrong_entry_count)
{
    uint32_t bad;

    fresh(NODES);
    mkdir_("/d");
    mkfile("/d/f");
    nodes[(uint32_t)look("/d")].entries = 2;
    expect(vfs_check(&fs, &bad), FB_EINVAL);
    cr_assert_eq(bad, (uint32_t)look("/d"), "expected the directory named as the bad node");
}

Test(vfs, check_finds_a_block_past_the_end)
{
    uint32_t bad;
    vfs_handle_t f;

    fresh(NODES);
    f = mkfile("/f");
    write_pattern(f, 0, 2 * BS);
    nodes[(uint32_t)f].size = BS;
    expect(vfs_check(&fs, &bad), FB_EINVAL);
    cr_assert_eq(bad, (uint32_t)f);
    nodes[(uint32_t)f].size = 2 * BS;
}

Test(vfs, check_finds_a_node_on_no_list)
{
    uint32_t bad;

    fresh(NODES);
    fs.free_head = nodes[fs.free_head].next;   /* slot 1 leaks */
    expect(vfs_check(&fs, &bad), FB_EINVAL);
}

/* ---- concurrency ---- */

#define CPUS 4
#define ROUNDS 40

static atomic_int errors;

/* CPU c creates its own file, grows it across blocks, shrinks it, reads
 * it back and finally unlinks it, ROUNDS times. */
static void writer(void *arg)
{
    unsigned c = (unsigned)(uintptr_t)arg;
    char path[16];
    uint8_t out[3 * BS / 2], in[sizeof out];
    vfs_handle_t h;
    size_t n;

    sprintf(path, "/cpu%u", c);
    for (size_t i = 0; i < sizeof out; i++)
        out[i] = (uint8_t)(i * 7 + c);
    for (int r = 0; r < ROUNDS; r++) {
        bool ok = vfs_create(&fs, path, 0644, &h) == FB_OK;

        for (uint64_t off = 0; ok && off < 4 * sizeof out; off += sizeof out)
            ok = vfs_write(&fs, h, off, out, sizeof out, &n) == FB_OK && n == sizeof out;
        ok = ok && vfs_truncate(&fs, h, sizeof out) == FB_OK;
        ok = ok && vfs_read(&fs, h, 0, in, sizeof in, &n) == FB_OK && n == sizeof in &&
             memcmp(in, out, sizeof in) == 0;
        ok = ok && vfs_readdir(&fs, look("/"), 0, NULL, NULL) == FB_OK;
        ok = ok && vfs_unlink(&fs, path) == FB_OK;
        ok = ok && vfs_stat(&fs, h, &(struct vfs_stat){ 0 }) == FB_ESTALE;
        if (!ok)
            atomic_fetch_add_explicit(&errors, 1, memory_order_relaxed);
    }
}

Test(vfs, cpus_writing_their_own_files_at_once_never_disturb_each_other)
{
    fresh(NODES);
    mkdir_("/shared");
    expect(hal_host_set_cpu_count(CPUS), FB_OK);
    for (unsigned c = 1; c < CPUS; c++)
        expect(hal_host_cpu_start(c, writer, (void *)(uintptr_t)c), FB_OK);
    writer((void *)0);
    for (unsigned c = 1; c < CPUS; c++)
        expect(hal_host_cpu_join(c), FB_OK);
    cr_assert_eq(atomic_load(&errors), 0, "expected every round of every CPU to succeed");
    cr_assert_eq(src.live, 0, "expected every block given back");
    expect_consistent();
}
