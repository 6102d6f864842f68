/* The GNU cpio archive that host-tests/test_cpio.c parses byte for byte
 * and host-tests/test_vfs.c unpacks: one copy of the bytes for both. */
#ifndef FB_HOST_TESTS_GNU_CPIO_H
#define FB_HOST_TESTS_GNU_CPIO_H

#define MTIME 0x6553F100u   /* 2023-11-14, as in the GNU archives */
#define GNU_LEN 604         /* bytes up to the end of the trailer */
#define GNU_FILE 1024       /* what GNU cpio wrote: two 512-byte blocks */

/* `find . | LC_ALL=C sort | cpio -o -H newc --owner=0:0 --reproducible`
 * (GNU cpio 2.13) over a tree with bin/ (0755), bin/hi (0755, "hello\n")
 * and bin/sh -> hi. GNU pads the archive with zeros to 1024 bytes. */
static const char gnu_newc[] =
    "070701" "00000000" "000041ED" "00000000" "00000000" "00000003" "6553F100"
        "00000000" "00000000" "00000000" "00000000" "00000000" "00000002" "00000000"
        ".\0"
    "070701" "00000001" "000041ED" "00000000" "00000000" "00000002" "6553F100"
        "00000000" "00000000" "00000000" "00000000" "00000000" "00000004" "00000000"
        "bin\0\0\0"
    "070701" "00000002" "000081ED" "00000000" "00000000" "00000001" "6553F100"
        "00000006" "00000000" "00000000" "00000000" "00000000" "00000007" "00000000"
        "bin/hi\0\0\0\0"
        "hello\n\0\0"
    "070701" "00000003" "0000A1FF" "00000000" "00000000" "00000001" "6553F100"
        "00000002" "00000000" "00000000" "00000000" "00000000" "00000007" "00000000"
        "bin/sh\0\0\0\0"
        "hi\0\0"
    "070701" "00000000" "00000000" "00000000" "00000000" "00000001" "00000000"
        "00000000" "00000000" "00000000" "00000000" "00000000" "0000000B" "00000000"
        "TRAILER!!!\0\0\0\0"
    ;

_Static_assert(sizeof gnu_newc - 1 == GNU_LEN, "GNU newc archive pasted whole");

#endif
