/* mkcpio: writes the initrd, a cpio "newc" archive, without needing the
 * cpio program. A host tool, built and run by user/CMakeLists.txt.
 *
 *   mkcpio OUTPUT ENTRY...
 *     dir:NAME            a directory (mode 0755)
 *     file:NAME=HOSTPATH  a regular file with HOSTPATH's bytes and
 *                         permission bits
 *
 * NAME is relative ("bin/fbsh"); parents must come before their
 * children, as the kernel's vfs_unpack_cpio requires. Times are 0 and
 * inode numbers count from 1, so the same inputs give the same bytes. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NEWC_MAGIC "070701"
#define NAME_MAX_BYTES 255   /* core/include/cpio.h CPIO_NAME_MAX */

static FILE *out;
static const char *out_path;
static uint64_t offset;

/* Prints the error, removes the half-written archive and exits. */
static void die(const char *what, const char *detail)
{
    fprintf(stderr, "mkcpio: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    if (out != NULL) {
        fclose(out);
        remove(out_path);
    }
    exit(1);
}

/* Appends n bytes to the archive. */
static void put(const void *p, size_t n)
{
    if (n > 0 && fwrite(p, 1, n, out) != n)
        die("write failed", strerror(errno));
    offset += n;
}

/* Pads with zero bytes to the next multiple of 4, as newc requires
 * after the name and after the data. */
static void pad4(void)
{
    static const char zero[4];

    put(zero, (size_t)((4 - offset % 4) % 4));
}

/* Writes one header, the name and its padding. */
static void header(uint32_t ino, uint32_t mode, uint32_t nlink, uint32_t size, const char *name)
{
    char hdr[111];
    size_t namesize = strlen(name) + 1;

    snprintf(hdr, sizeof hdr, "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
             NEWC_MAGIC, ino, mode, 0u, 0u, nlink, 0u, size, 0u, 0u, 0u, 0u,
             (uint32_t)namesize, 0u);
    put(hdr, 110);
    put(name, namesize);
    pad4();
}

/* Refuses names the kernel's cpio reader would refuse: absolute, too
 * long, or with an empty, "." or ".." component. */
static void check_name(const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len > NAME_MAX_BYTES || name[0] == '/' || name[len - 1] == '/')
        die("bad name", name);
    for (const char *c = name; *c != '\0';) {
        const char *slash = strchr(c, '/');
        size_t n = slash ? (size_t)(slash - c) : strlen(c);
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            die("bad name", name);
        c += n + (slash != NULL);
    }
}

/* Reads the whole host file at path; *len gets its size. */
static char *slurp(const char *path, size_t *len, uint32_t *perm)
{
    struct stat st;
    FILE *f = fopen(path, "rb");

    if (f == NULL || fstat(fileno(f), &st) != 0)
        die("cannot open", path);
    if (!S_ISREG(st.st_mode) || st.st_size > UINT32_MAX)
        die("not a regular file below 4 GiB", path);
    char *buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL)
        die("out of memory", path);
    if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
        die("read failed", path);
    fclose(f);
    *len = (size_t)st.st_size;
    *perm = (uint32_t)st.st_mode & 0777;
    return buf;
}

/* Parses the arguments and writes the archive. */
int main(int argc, char **argv)
{
    uint32_t ino = 1;

    if (argc < 2) {
        fprintf(stderr, "usage: mkcpio OUTPUT (dir:NAME | file:NAME=HOSTPATH)...\n");
        return 2;
    }
    out_path = argv[1];
    out = fopen(out_path, "wb");
    if (out == NULL)
        die("cannot create", out_path);
    for (int i = 2; i < argc; i++, ino++) {
        char *arg = argv[i];
        if (strncmp(arg, "dir:", 4) == 0) {
            check_name(arg + 4);
            header(ino, 040755, 2, 0, arg + 4);
        } else if (strncmp(arg, "file:", 5) == 0) {
            char *eq = strchr(arg + 5, '=');
            if (eq == NULL)
                die("file entry without =HOSTPATH", arg);
            *eq = '\0';
            check_name(arg + 5);
            size_t len;
            uint32_t perm;
            char *data = slurp(eq + 1, &len, &perm);
            header(ino, 0100000 | perm, 1, (uint32_t)len, arg + 5);
            put(data, len);
            pad4();
            free(data);
        } else {
            die("entry must start with dir: or file:", arg);
        }
    }
    header(0, 0, 1, 0, "TRAILER!!!");
    if (fclose(out) != 0) {
        out = NULL;
        remove(out_path);
        die("close failed", out_path);
    }
    return 0;
}
