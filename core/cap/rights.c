/* Rights: a boolean lattice over the CAP_R_* bits (subset order). */
#include "cap.h"

bool rights_valid(cap_rights_t r)
{
    return (r & ~CAP_R_ALL) == 0;
}

bool rights_leq(cap_rights_t a, cap_rights_t b)
{
    return (a & ~b) == 0;
}

cap_rights_t rights_join(cap_rights_t a, cap_rights_t b)
{
    return a | b;
}

cap_rights_t rights_meet(cap_rights_t a, cap_rights_t b)
{
    return a & b;
}

cap_rights_t rights_top(void)
{
    return CAP_R_ALL;
}

cap_rights_t rights_bottom(void)
{
    return 0;
}
