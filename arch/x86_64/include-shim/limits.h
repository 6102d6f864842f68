/* <limits.h> for the BearSSL objects of the kernel. The compiler's own
 * limits.h chains to the C library's, which -nostdinc keeps out, so this
 * one defines, from the compiler's predefined macros, what BearSSL uses:
 * ULONG_MAX, in inner.h's word-size detection. */
#ifndef FB_SHIM_LIMITS_H
#define FB_SHIM_LIMITS_H

#define ULONG_MAX (__LONG_MAX__ * 2UL + 1UL)

#endif
