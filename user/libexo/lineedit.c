/* The line editor (lineedit.h). Input is taken one byte per read, so
 * whatever follows Enter stays with the kernel for the next line. */
#include "lineedit.h"

#include <stdbool.h>

#include "kerr.h"

#define KEY_CTRL_C 0x03
#define KEY_CTRL_D 0x04
#define KEY_BS     0x08
#define KEY_CTRL_U 0x15
#define KEY_ESC    0x1b
#define KEY_DEL    0x7f

/* io->state bit: the last line ended with "\r". */
#define STATE_AFTER_CR 1u

/* Where an escape sequence stands. */
enum esc { ESC_NONE, ESC_START, ESC_CSI };

/* Echoes a NUL-terminated string. */
static void echo(struct line_io *io, const char *s)
{
    size_t n = 0;

    while (s[n] != '\0')
        n++;
    io->write(io->ctx, s, n);
}

/* Consumes byte c of an escape sequence; returns the state after it.
 * ESC [ or ESC O starts a sequence that parameter and intermediate
 * bytes continue and a byte in 0x40..0x7e ends (VT100/ECMA-48). */
static enum esc skip_escape(enum esc st, char c)
{
    if (st == ESC_START)
        return c == '[' || c == 'O' ? ESC_CSI : ESC_NONE;
    return c >= 0x20 && c <= 0x3f ? ESC_CSI : ESC_NONE;
}

/* Edits one line; see lineedit.h. */
int line_read(struct line_io *io, char *buf, size_t len)
{
    size_t n = 0;
    enum esc esc = ESC_NONE;

    if (len == 0)
        return FB_EINVAL;
    for (;;) {
        char c;
        int64_t got = io->read(io->ctx, &c, 1);
        if (got < 0)
            return (int)got;
        if (got == 0) {
            buf[n] = '\0';
            return n > 0 ? (int)n : FB_ENOENT;
        }
        bool after_cr = (io->state & STATE_AFTER_CR) != 0;
        io->state &= ~STATE_AFTER_CR;
        if (esc != ESC_NONE) {
            esc = skip_escape(esc, c);
            continue;
        }
        if (c == '\r' || c == '\n') {
            if (c == '\n' && after_cr)
                continue;          /* the "\n" of a "\r\n" Enter */
            if (c == '\r')
                io->state |= STATE_AFTER_CR;
            echo(io, "\r\n");
            buf[n] = '\0';
            return (int)n;
        }
        switch (c) {
        case KEY_BS:
        case KEY_DEL:
            if (n > 0) {
                n--;
                echo(io, "\b \b");
            }
            continue;
        case KEY_CTRL_U:
            for (; n > 0; n--)
                echo(io, "\b \b");
            continue;
        case KEY_CTRL_C:
            echo(io, "^C\r\n");
            buf[0] = '\0';
            return 0;
        case KEY_CTRL_D:
            if (n == 0) {
                buf[0] = '\0';
                return FB_ENOENT;
            }
            continue;
        case KEY_ESC:
            esc = ESC_START;
            continue;
        case '\t':
            c = ' ';
            break;
        default:
            break;
        }
        if (c < 0x20 || c > 0x7e)
            continue;              /* other control bytes and non-ASCII */
        if (n + 1 >= len) {
            echo(io, "\a");        /* full: the byte is dropped */
            continue;
        }
        buf[n++] = c;
        io->write(io->ctx, &c, 1);
    }
}
