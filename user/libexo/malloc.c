/* malloc, free, calloc and realloc: one heap (heap.c) at EXO_HEAP_BASE
 * whose pages come from the mem_alloc syscall. A bad pointer given to
 * free or realloc ends the program: going on would corrupt the heap. */
#include "exo.h"
#include "heap.h"

/* mem_alloc and mem_free take at most this many pages per call. */
#define MEM_CALL_PAGES 4096u

static struct heap heap;
static bool heap_ready;

/* Frees pages [va, va + pages * 4 KiB) that grow_pages mapped. */
static void release_pages(uintptr_t va, size_t pages)
{
    for (size_t done = 0; done < pages;) {
        size_t n = pages - done < MEM_CALL_PAGES ? pages - done : MEM_CALL_PAGES;
        exo_mem_free(va + done * HEAP_PAGE, n);
        done += n;
    }
}

/* The heap's page source: fresh zeroed read/write pages at va, all or
 * nothing (the heap assumes a failed grow mapped nothing). */
static int grow_pages(void *ctx, uintptr_t va, size_t pages)
{
    (void)ctx;
    for (size_t done = 0; done < pages;) {
        size_t n = pages - done < MEM_CALL_PAGES ? pages - done : MEM_CALL_PAGES;
        int64_t r = exo_mem_alloc(va + done * HEAP_PAGE, n, EXO_PROT_READ | EXO_PROT_WRITE);
        if (r < 0) {
            release_pages(va, done);
            return (int)r;
        }
        done += n;
    }
    return 0;
}

/* The program's heap, set up on first use. */
static struct heap *the_heap(void)
{
    if (!heap_ready) {
        heap_init(&heap, EXO_HEAP_BASE, EXO_HEAP_BASE + EXO_HEAP_MAX, grow_pages, NULL);
        heap_ready = true;
    }
    return &heap;
}

/* n bytes, 16-byte aligned; NULL when the kernel gives no more pages. */
void *malloc(size_t n)
{
    return heap_alloc(the_heap(), n);
}

/* n * size zeroed bytes; NULL on overflow or exhaustion. */
void *calloc(size_t n, size_t size)
{
    return heap_calloc(the_heap(), n, size);
}

/* Returns p to the heap; ends the program when p is not a live block. */
void free(void *p)
{
    if (heap_free(the_heap(), p) != FB_OK)
        libexo_panic("free: pointer is not a live heap block");
}

/* Resizes p; NULL (p untouched) when no memory is left. */
void *realloc(void *p, size_t n)
{
    void *q = NULL;
    int err = heap_realloc(the_heap(), p, n, &q);

    if (err == FB_EINVAL)
        libexo_panic("realloc: pointer is not a live heap block");
    return err == FB_OK ? q : NULL;
}
