/* The line editor behind readline: byte-at-a-time input with echo,
 * erase, cancel and escape-sequence skipping, over an input and an echo
 * function so the host tests can feed it scripted keystrokes. */
#ifndef LIBEXO_LINEEDIT_H
#define LIBEXO_LINEEDIT_H

#include <stddef.h>
#include <stdint.h>

/** Where the editor's bytes come from and its echo goes. */
struct line_io {
    /** Stores up to n (>= 1) input bytes; blocks until one is there.
     *  @return bytes stored; 0 = input ended; < 0 an FB_E* code. */
    int64_t (*read)(void *ctx, char *buf, size_t n);
    /** Echoes n bytes. */
    void (*write)(void *ctx, const char *s, size_t n);
    void *ctx;
    /** Editor state kept between lines (a "\r" just ended one, so a
     *  following "\n" is part of the same Enter); zero it before use. */
    unsigned state;
};

/**
 * Reads one line into @p buf (@p len bytes, NUL included); see readline
 * in exo.h for the keys. Input ending mid-line returns what was typed.
 * @return the line's length; FB_ENOENT when input ends (or ^D comes)
 *         before any byte of the line; FB_EINVAL for len 0; a negative
 *         code from io->read.
 */
int line_read(struct line_io *io, char *buf, size_t len);

#endif
