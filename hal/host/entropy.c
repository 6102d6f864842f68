/* Host entropy: the kernel's getrandom(), the same pool /dev/urandom uses. */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "hal/entropy.h"
#include "kerr.h"

/* Consecutive calls that may fail to make progress before giving up. */
#define ENTROPY_RETRIES 16

/* Fills buf from getrandom(), resuming after short reads and EINTR. On
 * failure the partial output is zeroed so no caller can use it by mistake. */
int hal_entropy(void *buf, size_t n)
{
    unsigned char *p = buf;
    size_t done = 0;
    int failures = 0, err = FB_EAGAIN;

    if (buf == NULL && n > 0)
        return FB_EINVAL;
    while (done < n) {
        ssize_t got = getrandom(p + done, n - done, 0);

        if (got > 0) {
            done += (size_t)got;
            failures = 0;
            continue;
        }
        if (got < 0 && errno == ENOSYS) {
            err = FB_ENOTSUP;
            break;
        }
        if (got < 0 && errno != EINTR && errno != EAGAIN)
            break;
        if (++failures >= ENTROPY_RETRIES)
            break;
    }
    if (done == n)
        return FB_OK;
    explicit_bzero(buf, n);
    return err;
}
