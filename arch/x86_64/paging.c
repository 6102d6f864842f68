/* The kernel's final page tables: a direct map of physical memory at
 * X86_DIRECT_MAP (RW, NX; uncached where there is no RAM) and the image
 * at X86_KERNEL_VMA in 4 KiB pages, W^X: text RX, rodata R, data and bss
 * RW, the page under each CPU's boot stack left unmapped as its guard. */
#include <stdbool.h>
#include <stdint.h>

#include "arch.h"
#include "fmt.h"
#include "hal/aspace.h"
#include "hal/panic.h"
#include "kerr.h"
#include "kstring.h"
#include "x86.h"

#define SIZE_2M (1ull << 21)
#define SIZE_1G (1ull << 30)
#define SIZE_512G (1ull << 39)
#define DIRECT_MAP_MAX (1ull << 46)   /* 64 TiB: half of the kernel half */
#define KERNEL_TABLE (PTE_P | PTE_W)  /* intermediate tables: leaves decide */

static uint64_t kernel_pml4_pa;
/* Physical bytes reachable through the direct map: the boot tables' 4 GiB
 * until x86_paging_init switches to the final tables. */
static uint64_t direct_limit = X86_BOOT_MAP_LIMIT;
static uint64_t global_bit;

/* Direct-map pointer to physical pa, NULL beyond the direct map. */
void *hal_phys_to_virt(uint64_t pa)
{
    if (pa >= direct_limit)
        return NULL;
    return (void *)(uintptr_t)(X86_DIRECT_MAP + pa);
}

/* Physical address of the kernel-only PML4. */
uint64_t x86_kernel_pml4(void)
{
    return kernel_pml4_pa;
}

/* Takes a frame from alloc for a page table and zeroes it through the
 * direct map. FB_ENOMEM when no frame is free or the frame is not
 * reachable (it then goes back through free_fn). */
int x86_zeroed_table_frame(hal_frame_alloc_fn alloc, hal_frame_free_fn free_fn, uint64_t *pa)
{
    void *p;

    if (alloc(pa) != FB_OK)
        return FB_ENOMEM;
    p = hal_phys_to_virt(*pa);
    if (p == NULL) {
        free_fn(*pa);
        return FB_ENOMEM;
    }
    kmemset(p, 0, HAL_PAGE_SIZE);
    return FB_OK;
}

/* A frame for one of the kernel's own page tables, from the boot pool. */
static int alloc_table_frame(uint64_t *pa)
{
    return x86_zeroed_table_frame(bootmem_frame_alloc, bootmem_frame_free, pa);
}

/* Index of va in the table of the given level (3 = PML4 .. 0 = PT). */
static unsigned pt_index(uintptr_t va, int level)
{
    return (unsigned)(va >> (12 + 9 * level)) & 511;
}

/* Pointer to the level-0 entry for va under pml4_pa. Missing tables come
 * from alloc (zeroed) with table_flags; with alloc NULL they give
 * FB_ENOENT. A large page on the way gives FB_EEXIST, no frame FB_ENOMEM. */
uint64_t *x86_pte_walk(uint64_t pml4_pa, uintptr_t va, uint64_t table_flags,
                       x86_table_alloc_fn alloc, int *err)
{
    uint64_t table = pml4_pa;

    for (int level = 3; level > 0; level--) {
        uint64_t *e = (uint64_t *)hal_phys_to_virt(table) + pt_index(va, level);

        if ((*e & PTE_P) == 0) {
            uint64_t pa;

            if (alloc == NULL) {
                *err = FB_ENOENT;
                return NULL;
            }
            if (alloc(&pa) != FB_OK) {
                *err = FB_ENOMEM;
                return NULL;
            }
            *e = pa | table_flags;
        } else if (*e & PTE_PS) {
            *err = FB_EEXIST;
            return NULL;
        }
        table = *e & PTE_ADDR;
    }
    return (uint64_t *)hal_phys_to_virt(table) + pt_index(va, 0);
}

/* The table an entry points to, allocated on first use. */
static uint64_t table_at(uint64_t *entry)
{
    uint64_t pa;

    if ((*entry & PTE_P) == 0) {
        if (alloc_table_frame(&pa) != FB_OK)
            hal_panic("out of memory building the kernel page tables");
        *entry = pa | KERNEL_TABLE;
    }
    return *entry & PTE_ADDR;
}

/* Entry idx of the table at physical pa. */
static uint64_t *entry_of(uint64_t pa, unsigned idx)
{
    return (uint64_t *)hal_phys_to_virt(pa) + idx;
}

/* True when [base, base + len) touches RAM or ACPI tables, which are
 * mapped write-back; anything else (MMIO, holes) is mapped uncached. */
static bool touches_memory(const struct boot_info *bi, uint64_t base, uint64_t len)
{
    for (uint32_t i = 0; i < bi->region_count; i++) {
        const struct mem_region *r = &bi->regions[i];

        if (r->type != MEM_USABLE && r->type != MEM_ACPI_RECLAIM && r->type != MEM_ACPI_NVS)
            continue;
        if (r->base < base + len && base < r->base + r->length)
            return true;
    }
    return false;
}

/* Highest physical address to direct-map: all RAM and ACPI memory, at
 * least 4 GiB (where the LAPIC and firmware live), in whole GiB. */
static uint64_t direct_map_top(const struct boot_info *bi)
{
    uint64_t top = X86_BOOT_MAP_LIMIT;
    uint64_t cap = DIRECT_MAP_MAX;

    if (x86_cpu.phys_bits < 46)
        cap = 1ull << x86_cpu.phys_bits;
    for (uint32_t i = 0; i < bi->region_count; i++) {
        const struct mem_region *r = &bi->regions[i];
        uint64_t end = r->base + r->length;

        if (r->type == MEM_USABLE || r->type == MEM_ACPI_RECLAIM || r->type == MEM_ACPI_NVS) {
            if (end > top)
                top = end;
        }
    }
    top = (top + SIZE_1G - 1) & ~(SIZE_1G - 1);
    if (top > cap) {
        kprintf("FeuerBird: memory above 0x%lx is not direct-mapped\n", cap);
        top = cap;
    }
    return top;
}

/* Splits the 2 MiB chunk at pa into 4 KiB pages so the direct-map alias
 * of kernel text and rodata can be read-only. */
static void map_direct_split(uint64_t *pde, uint64_t pa, uint64_t flags)
{
    uint64_t text = (uint64_t)(uintptr_t)__text_start - X86_KERNEL_VMA;
    uint64_t ro_end = (uint64_t)(uintptr_t)__rodata_end - X86_KERNEL_VMA;
    uint64_t pt = table_at(pde);

    for (unsigned i = 0; i < 512; i++) {
        uint64_t page = pa + (uint64_t)i * HAL_PAGE_SIZE;
        uint64_t f = flags;

        if (page >= text && page < ro_end)
            f &= ~PTE_W;
        *entry_of(pt, i) = page | f;
    }
}

/* Maps physical [0, top) at X86_DIRECT_MAP with 2 MiB pages. */
static void map_direct(uint64_t pml4, const struct boot_info *bi, uint64_t top)
{
    uint64_t text = (uint64_t)(uintptr_t)__text_start - X86_KERNEL_VMA;
    uint64_t ro_end = (uint64_t)(uintptr_t)__rodata_end - X86_KERNEL_VMA;

    for (uint64_t pa = 0; pa < top; pa += SIZE_2M) {
        uint64_t va = X86_DIRECT_MAP + pa;
        uint64_t pdpt = table_at(entry_of(pml4, pt_index(va, 3)));
        uint64_t pd = table_at(entry_of(pdpt, pt_index(va, 2)));
        uint64_t *pde = entry_of(pd, pt_index(va, 1));
        uint64_t flags = PTE_P | PTE_W | PTE_NX | global_bit;

        if (!touches_memory(bi, pa, SIZE_2M))
            flags |= PTE_PCD | PTE_PWT;
        if (pa < ro_end && text < pa + SIZE_2M)
            map_direct_split(pde, pa, flags);
        else
            *pde = pa | PTE_PS | flags;
    }
}

/* Maps the pages of [start, end) of the image with the given leaf flags,
 * leaving out the boot stacks' guard pages. */
static void map_image_range(uint64_t pml4, const char *start, const char *end, uint64_t flags)
{
    for (uintptr_t va = (uintptr_t)start; va < (uintptr_t)end; va += HAL_PAGE_SIZE) {
        int err = FB_OK;
        uint64_t *pte;

        if (x86_stack_guard_cpu(va) >= 0)
            continue;
        pte = x86_pte_walk(pml4, va, KERNEL_TABLE, alloc_table_frame, &err);
        if (pte == NULL)
            hal_panic("out of memory mapping the kernel image");
        *pte = (va - X86_KERNEL_VMA) | flags;
    }
}

/* Builds the final kernel page tables, switches CR3 to them and widens
 * the direct map to all of memory. */
void x86_paging_init(const struct boot_info *bi)
{
    uint64_t top = direct_map_top(bi);
    uint64_t pml4;

    if (x86_cpu.pge) {
        write_cr4(read_cr4() | CR4_PGE);   /* kernel pages stay in the TLB */
        global_bit = PTE_G;
    }
    if (alloc_table_frame(&pml4) != FB_OK)
        hal_panic("out of memory building the kernel page tables");
    map_direct(pml4, bi, top);
    map_image_range(pml4, __text_start, __text_end, PTE_P | global_bit);
    map_image_range(pml4, __rodata_start, __rodata_end, PTE_P | PTE_NX | global_bit);
    map_image_range(pml4, __data_start, __bss_end, PTE_P | PTE_W | PTE_NX | global_bit);
    write_cr3(pml4);
    kernel_pml4_pa = pml4;
    direct_limit = top;
}
