/* Names of the core error codes (kerr.h), for logs and test messages. */
#include "kerr.h"

/* Maps an fb_err value to its enumerator name; unknown values get one
 * fixed string so callers can always print the result. */
const char *fb_strerror(int err)
{
    switch (err) {
    case FB_OK:      return "FB_OK";
    case FB_EINVAL:  return "FB_EINVAL";
    case FB_ENOMEM:  return "FB_ENOMEM";
    case FB_EFAULT:  return "FB_EFAULT";
    case FB_ENOENT:  return "FB_ENOENT";
    case FB_ERANGE:  return "FB_ERANGE";
    case FB_ETRUNC:  return "FB_ETRUNC";
    case FB_EEXIST:  return "FB_EEXIST";
    case FB_EBUSY:   return "FB_EBUSY";
    case FB_EPERM:   return "FB_EPERM";
    case FB_ENOTSUP: return "FB_ENOTSUP";
    case FB_EALIGN:  return "FB_EALIGN";
    case FB_EAGAIN:  return "FB_EAGAIN";
    case FB_EBADCAP: return "FB_EBADCAP";
    case FB_ESTALE:  return "FB_ESTALE";
    case FB_EREVOKED: return "FB_EREVOKED";
    case FB_EDEPTH:  return "FB_EDEPTH";
    case FB_ENOSPC:  return "FB_ENOSPC";
    case FB_EAUTH:   return "FB_EAUTH";
    case FB_ENOSYS:  return "FB_ENOSYS";
    case FB_ENOGAS:  return "FB_ENOGAS";
    default:         return "FB_E?";
    }
}
