/* Criterion's redirect.h for the host-tsan preset: all of it lives in
 * criterion.h here. */
#include "criterion.h"
