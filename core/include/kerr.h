/* The one error type of FeuerBird's core: every core/ and hal/ function
 * that can fail returns FB_OK (0) or one of these negative codes. */
#ifndef FB_KERR_H
#define FB_KERR_H

/** Negative error codes shared by core/, hal/ and arch/. */
typedef enum fb_err {
    FB_OK       = 0,   /**< success */
    FB_EINVAL   = -1,  /**< an argument is out of range or malformed */
    FB_ENOMEM   = -2,  /**< no memory (frames, slots, buffer space) left */
    FB_EFAULT   = -3,  /**< a user address is unmapped or not permitted */
    FB_ENOENT   = -4,  /**< the named object does not exist */
    FB_ERANGE   = -5,  /**< a value does not fit the destination */
    FB_ETRUNC   = -6,  /**< input ends before a structure it announces */
    FB_EEXIST   = -7,  /**< the object (mapping, entry) already exists */
    FB_EBUSY    = -8,  /**< the resource is in use */
    FB_EPERM    = -9,  /**< the caller lacks the right to do this */
    FB_ENOTSUP  = -10, /**< the hardware or build lacks this feature */
    FB_EALIGN   = -11, /**< an address or size is not suitably aligned */
    FB_EAGAIN   = -12, /**< temporarily unavailable; retry may succeed */
    FB_EBADCAP  = -13, /**< the handle was never issued by this table */
    FB_ESTALE   = -14, /**< the handle's capability was deleted */
    FB_EREVOKED = -15, /**< the capability or one of its ancestors was revoked */
    FB_EDEPTH   = -16, /**< a derivation would pass the depth bound */
    FB_ENOSPC   = -17, /**< a fixed-capacity table is full */
    FB_EAUTH    = -18, /**< an authentication tag does not match */
    FB_ENOSYS   = -19, /**< no such system call (or one reserved for later) */
    FB_ENOGAS   = -20, /**< the gas budget is too small for the operation */
} fb_err_t;

/** Returns a short constant name for @p err ("FB_EINVAL"); never NULL. */
const char *fb_strerror(int err);

#endif
