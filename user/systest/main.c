/* systest's driver: sets up the shared fixtures (bad pointers, the edge
 * page, a capability of a user type), runs every group and prints the
 * verdict. Run by init (initargs: -- /bin/systest) so a QEMU test reads
 * the exit code, or from fbsh with "run systest". */
#include "systest.h"

#define MAX_BAD 16

uint64_t bad_in[MAX_BAD];
size_t n_bad_in;
uint64_t bad_out[MAX_BAD];
size_t n_bad_out;
uintptr_t edge_page = SCRATCH_EDGE;
cap_handle_t user_cap;
const char *systest_args;

static const char rodata_bytes[64] = "read-only: the kernel must not write here";

/* Fills the bad pointer lists: NULL, low memory below the user range, a
 * kernel address, a non-canonical one, unmapped user addresses, and for
 * outputs also read-only program memory and a buffer crossing into an
 * unmapped page. */
static void setup_bad_pointers(void)
{
    static const uint64_t in[] = {
        0, 1, 0x1000, 0x3ff000, 0xffff800000000000ull, 0xffffffff80000000ull,
        0x0000800000000000ull, 0xfffffffffffff000ull, UNMAPPED_VA, EXO_STACK_TOP,
    };

    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        bad_in[n_bad_in++] = in[i];
        bad_out[n_bad_out++] = in[i];
    }
    bad_out[n_bad_out++] = (uint64_t)(uintptr_t)rodata_bytes;
    bad_out[n_bad_out++] = (uint64_t)(uintptr_t)&setup_bad_pointers;
    bad_out[n_bad_out++] = edge_page + PAGE - 4;
}

/* Maps the edge page (its successor stays unmapped) and creates the
 * user-type capability; false when that fails (nothing else can run). */
static bool setup_fixtures(void)
{
    if (CHECK(exo_mem_alloc(edge_page, 1, EXO_PROT_READ | EXO_PROT_WRITE), FB_OK) != FB_OK)
        return false;
    CHECK(exo_mem_query(edge_page + PAGE, &(struct exo_mem_query){ 0 }), FB_ENOENT);
    int64_t h = CHECK_OK(exo_cap_create(CAP_T_USER, 0x5157, CAP_R_ALL));
    if (h <= 0)
        return false;
    user_cap = (cap_handle_t)h;
    setup_bad_pointers();
    return true;
}

/* Runs the groups; exit 0 only when every check held. */
int main(const char *args)
{
    systest_args = args;
    printf("systest: starting (env %ld)\n", (long)exo_env_self());
    if (setup_fixtures()) {
        test_env();
        test_mem();
        test_cap();
        test_cpu();
        test_dev();
        test_vfs();
        exo_cap_delete(user_cap);
        exo_mem_free(edge_page, 1);
    }
    printf("systest: %lu checks, %lu failed\n", checks_run, checks_failed);
    return checks_failed == 0 ? 0 : 1;
}
