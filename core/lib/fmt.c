/* Bounded printf-style formatting (fmt.h) shared by the kernel and the host
 * build, and kprintf, which formats onto the stack and writes to the HAL
 * console. No floating point: the kernel is built without SSE/x87. */
#include "fmt.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/console.h"
#include "kstring.h"

#define KPRINTF_BUF 512

/* Output cursor: bytes past size - 1 are counted but not stored, which
 * gives the C99 "would-be length" return value. */
struct sink {
    char *buf;
    size_t size;
    size_t pos;
};

/* One parsed conversion specification. */
struct spec {
    bool left;       /* '-' */
    bool zero;       /* '0' */
    bool plus;       /* '+' */
    bool space;      /* ' ' */
    bool alt;        /* '#' */
    int width;       /* 0 when absent */
    int prec;        /* -1 when absent */
    char len;        /* 'H' hh, 'h', 'l', 'L' ll, 'j', 'z', 't', or 0 */
};

/* Appends one byte, storing it only while room for the NUL remains. */
static void put(struct sink *o, char c)
{
    if (o->pos + 1 < o->size)
        o->buf[o->pos] = c;
    o->pos++;
}

/* Appends n copies of c; stores only what fits, so huge widths stay cheap. */
static void pad(struct sink *o, char c, size_t n)
{
    size_t room = o->pos + 1 < o->size ? o->size - 1 - o->pos : 0;
    size_t store = n < room ? n : room;

    for (size_t i = 0; i < store; i++)
        o->buf[o->pos + i] = c;
    o->pos += n;
}

/* Appends n bytes of s. */
static void puts_n(struct sink *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put(o, s[i]);
}

/* Reads a decimal field width or precision, saturating at INT_MAX. */
static int read_num(const char **fp)
{
    const char *f = *fp;
    int v = 0;

    while (*f >= '0' && *f <= '9') {
        int d = *f - '0';
        v = v > (INT_MAX - d) / 10 ? INT_MAX : v * 10 + d;
        f++;
    }
    *fp = f;
    return v;
}

/* Parses flags, width, precision and length of one conversion; '*'
 * arguments are taken from ap as C requires (negative width = '-'). */
static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
    *sp = (struct spec){ .prec = -1 };
    for (;; f++) {
        if (*f == '-') sp->left = true;
        else if (*f == '0') sp->zero = true;
        else if (*f == '+') sp->plus = true;
        else if (*f == ' ') sp->space = true;
        else if (*f == '#') sp->alt = true;
        else break;
    }
    if (*f == '*') {
        int w = va_arg(*ap, int);
        f++;
        if (w < 0) {
            sp->left = true;
            w = w == INT_MIN ? INT_MAX : -w;
        }
        sp->width = w;
    } else {
        sp->width = read_num(&f);
    }
    if (*f == '.') {
        f++;
        if (*f == '*') {
            int p = va_arg(*ap, int);
            f++;
            sp->prec = p < 0 ? -1 : p;   /* negative precision = none */
        } else {
            sp->prec = read_num(&f);
        }
    }
    if (*f == 'h' || *f == 'l') {
        char c = *f++;
        sp->len = c;
        if (*f == c) {
            sp->len = c == 'h' ? 'H' : 'L';
            f++;
        }
    } else if (*f == 'j' || *f == 'z' || *f == 't') {
        sp->len = *f++;
    }
    return f;
}

/* Fetches a signed integer argument of the spec's length. */
static int64_t arg_signed(const struct spec *sp, va_list *ap)
{
    switch (sp->len) {
    case 'H': return (signed char)va_arg(*ap, int);
    case 'h': return (short)va_arg(*ap, int);
    case 'l': return va_arg(*ap, long);
    case 'L': return va_arg(*ap, long long);
    case 'j': return va_arg(*ap, intmax_t);
    case 'z': return va_arg(*ap, ptrdiff_t);   /* signed type of size_t's width */
    case 't': return va_arg(*ap, ptrdiff_t);
    default:  return va_arg(*ap, int);
    }
}

/* Fetches an unsigned integer argument of the spec's length. */
static uint64_t arg_unsigned(const struct spec *sp, va_list *ap)
{
    switch (sp->len) {
    case 'H': return (unsigned char)va_arg(*ap, unsigned);
    case 'h': return (unsigned short)va_arg(*ap, unsigned);
    case 'l': return va_arg(*ap, unsigned long);
    case 'L': return va_arg(*ap, unsigned long long);
    case 'j': return va_arg(*ap, uintmax_t);
    case 'z': return va_arg(*ap, size_t);
    case 't': return (size_t)va_arg(*ap, ptrdiff_t);
    default:  return va_arg(*ap, unsigned);
    }
}

/* Writes body (prefix + digits) into a field of sp->width, honouring
 * '-' and zero padding, which goes between prefix and digits. */
static void emit_field(struct sink *o, const struct spec *sp, const char *prefix,
                       size_t plen, const char *body, size_t blen, size_t zeros)
{
    size_t len = plen + zeros + blen;
    size_t fill = (size_t)sp->width > len ? (size_t)sp->width - len : 0;

    if (!sp->left && !sp->zero)
        pad(o, ' ', fill);
    puts_n(o, prefix, plen);
    if (!sp->left && sp->zero)
        pad(o, '0', fill);
    pad(o, '0', zeros);
    puts_n(o, body, blen);
    if (sp->left)
        pad(o, ' ', fill);
}

/* Formats one integer: magnitude v, sign, base and case; force_prefix
 * gives %p its "0x" even for zero. */
static void emit_int(struct sink *o, struct spec sp, uint64_t v, bool neg,
                     unsigned base, bool upper, bool force_prefix)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];                       /* 22 octal digits fit 2^64 - 1 */
    size_t n = 0;
    char prefix[3];                     /* sign, or "0x" */
    size_t plen = 0;

    for (uint64_t x = v; x != 0; x /= base)
        tmp[sizeof tmp - 1 - n++] = digits[x % base];
    if (sp.prec >= 0)
        sp.zero = false;                /* C: '0' is ignored with a precision */
    size_t want = sp.prec >= 0 ? (size_t)sp.prec : 1;
    size_t zeros = want > n ? want - n : 0;

    if (neg)
        prefix[plen++] = '-';
    else if (sp.plus)
        prefix[plen++] = '+';
    else if (sp.space)
        prefix[plen++] = ' ';
    if (base == 8 && sp.alt && zeros == 0 && (n == 0 || tmp[sizeof tmp - n] != '0'))
        zeros = 1;                      /* '#o' guarantees a leading 0 */
    if (base == 16 && ((sp.alt && v != 0) || force_prefix)) {
        prefix[plen++] = '0';
        prefix[plen++] = upper ? 'X' : 'x';
    }
    emit_field(o, &sp, prefix, plen, tmp + sizeof tmp - n, n, zeros);
}

/* Formats %s: at most prec bytes, never reading past them. */
static void emit_str(struct sink *o, struct spec sp, const char *s)
{
    if (s == NULL)
        s = "(null)";
    size_t n = sp.prec >= 0 ? kstrnlen(s, (size_t)sp.prec) : kstrlen(s);

    sp.zero = false;
    emit_field(o, &sp, "", 0, s, n, 0);
}

/* Performs conversion c; returns false if c is not a known conversion. */
static bool convert(struct sink *o, const struct spec *sp, char c, va_list *ap)
{
    struct spec plain = *sp;   /* for conversions that take no sign flags */
    char ch;

    plain.plus = false;
    plain.space = false;

    switch (c) {
    case 'd':
    case 'i': {
        int64_t v = arg_signed(sp, ap);
        uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        emit_int(o, *sp, mag, v < 0, 10, false, false);
        return true;
    }
    case 'u': emit_int(o, plain, arg_unsigned(sp, ap), false, 10, false, false); return true;
    case 'x': emit_int(o, plain, arg_unsigned(sp, ap), false, 16, false, false); return true;
    case 'X': emit_int(o, plain, arg_unsigned(sp, ap), false, 16, true, false); return true;
    case 'o': emit_int(o, plain, arg_unsigned(sp, ap), false, 8, false, false); return true;
    case 'p':
        emit_int(o, plain, (uintptr_t)va_arg(*ap, void *), false, 16, false, true);
        return true;
    case 'c':
        ch = (char)va_arg(*ap, int);
        plain.zero = false;
        emit_field(o, &plain, "", 0, &ch, 1, 0);
        return true;
    case 's': emit_str(o, *sp, va_arg(*ap, const char *)); return true;
    case '%': put(o, '%'); return true;
    default:  return false;
    }
}

/* The formatter proper; see fmt.h. Works on a copy of ap through a
 * pointer so helpers can consume arguments portably. */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct sink o = { .buf = buf, .size = buf != NULL ? size : 0, .pos = 0 };
    va_list args;

    va_copy(args, ap);
    for (const char *f = fmt; *f != '\0';) {
        if (*f != '%') {
            put(&o, *f++);
            continue;
        }
        const char *start = f;
        struct spec sp;
        f = parse_spec(f + 1, &sp, &args);
        if (*f == '\0') {
            puts_n(&o, start, (size_t)(f - start));   /* dangling '%...' */
            break;
        }
        if (!convert(&o, &sp, *f, &args))
            puts_n(&o, start, (size_t)(f + 1 - start));
        f++;
    }
    va_end(args);
    if (o.size > 0)
        o.buf[o.pos < o.size ? o.pos : o.size - 1] = '\0';
    return o.pos > INT_MAX ? -1 : (int)o.pos;
}

/* Variadic wrapper of fmt_vsnprintf. */
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/* Formats into a stack buffer and writes what fit to the console. */
int kvprintf(const char *fmt, va_list ap)
{
    char buf[KPRINTF_BUF];
    int n = fmt_vsnprintf(buf, sizeof buf, fmt, ap);

    if (n < 0)
        return 0;
    if ((size_t)n >= sizeof buf)
        n = (int)sizeof buf - 1;
    hal_console_write(buf, (size_t)n);
    return n;
}

/* Variadic wrapper of kvprintf. */
int kprintf(const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = kvprintf(fmt, ap);
    va_end(ap);
    return n;
}
