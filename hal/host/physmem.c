/* Simulated physical memory: one anonymous mapping of HAL_HOST_RAM_SIZE
 * bytes standing for physical [HAL_HOST_RAM_BASE, + size), mapped on
 * first use; pages are only backed once touched. */
#include <pthread.h>
#include <sys/mman.h>

#include "hal/aspace.h"
#include "hal/panic.h"
#include "hal_host.h"

_Static_assert(HAL_HOST_RAM_BASE % HAL_PAGE_SIZE == 0 && HAL_HOST_RAM_SIZE % HAL_PAGE_SIZE == 0,
               "simulated RAM must be whole pages");

static unsigned char *ram;
static pthread_once_t ram_once = PTHREAD_ONCE_INIT;

/* Maps the simulated RAM; without it the host HAL cannot work at all. */
static void ram_map(void)
{
    void *p = mmap(NULL, HAL_HOST_RAM_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    if (p == MAP_FAILED)
        hal_panic("host: cannot map the simulated RAM");
    ram = p;
}

/* Host pointer to simulated physical address pa, NULL outside the RAM. */
void *hal_phys_to_virt(uint64_t pa)
{
    if (pa < HAL_HOST_RAM_BASE || pa - HAL_HOST_RAM_BASE >= HAL_HOST_RAM_SIZE)
        return NULL;
    pthread_once(&ram_once, ram_map);
    return ram + (pa - HAL_HOST_RAM_BASE);
}
