/*
 * arena.c - a bump allocator per thread for short-lived trees (jansson's
 * documents of one request), and the pair of allocation hooks that serve
 * from it while a thread has it active and from malloc otherwise.
 *
 * Why: building and freeing a request's JSON trees is most of a review's
 * cost, and most of that is malloc and free of small blocks. In an arena an
 * allocation is a pointer bump, a free is nothing, and the end of a request
 * gives every chunk back at once (kept for the next request, up to a bound).
 *
 * Every block of the hooks carries a 16-byte header saying where it came
 * from, so sg_arena_hook_free() tells the two kinds apart from the block
 * alone, whichever thread frees it: a malloc block is freed, an arena block
 * is left to its arena's reset. With AddressSanitizer, what is not handed
 * out is poisoned (unused chunk space, a red zone after every block, blocks
 * freed during the request, everything after a reset), so an overflow, a
 * use after free or a use after the request still reports as it would with
 * malloc.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <scoregate/base.h>

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif
#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#define REDZONE 16
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#define REDZONE 0
#endif

#define ALIGN 16
#define CHUNK_DATA (64 * 1024)        /* bytes a chunk hands out */
#define BIG_BLOCK (CHUNK_DATA / 4)    /* larger blocks get a chunk of their own */
#define KEEP_CHUNKS 16                /* chunks a reset keeps for reuse (1 MiB) */

/* Kinds in a block's header. */
#define KIND_MALLOC 0x6d616c6cu /* "mall" */
#define KIND_ARENA 0x6172656eu  /* "aren" */
#define KIND_FREED 0x66726565u  /* "free": a malloc block already given back */

typedef struct {
    uint32_t kind;
    uint32_t pad;
    size_t size; /* bytes asked for */
} block_header;
_Static_assert(sizeof(block_header) == ALIGN, "a header keeps blocks 16-byte aligned");

typedef struct chunk {
    struct chunk *next;
    size_t cap;  /* bytes of data */
    size_t used; /* bytes of data handed out */
    _Alignas(ALIGN) unsigned char data[];
} chunk;

struct sg_arena {
    chunk *cur;   /* being filled; its successors are full */
    chunk *spare; /* kept by resets, empty */
    chunk *big;   /* one block each, freed by a reset */
    size_t spares;
    size_t chunks; /* regular chunks owned (cur list and spare) */
};

static size_t round_up(size_t n)
{
    if (n > SIZE_MAX - 2 * ALIGN - REDZONE)
        sg_oom();
    return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

static chunk *chunk_new(size_t cap)
{
    if (cap > SIZE_MAX - sizeof(chunk))
        sg_oom();
    chunk *c = sg_malloc(sizeof(chunk) + cap);
    c->next = NULL;
    c->cap = cap;
    c->used = 0;
    POISON(c->data, cap);
    return c;
}

sg_arena *sg_arena_new(void)
{
    return sg_calloc(1, sizeof(sg_arena));
}

static void chunks_free(chunk *c)
{
    while (c) {
        chunk *next = c->next;
        UNPOISON(c->data, c->cap);
        free(c);
        c = next;
    }
}

void sg_arena_destroy(sg_arena *a)
{
    if (!a)
        return;
    chunks_free(a->cur);
    chunks_free(a->spare);
    chunks_free(a->big);
    free(a);
}

/* A header and `n` bytes (n already rounded) from `a`, unpoisoned. */
static block_header *arena_take(sg_arena *a, size_t n)
{
    size_t need = sizeof(block_header) + n + REDZONE;
    unsigned char *p;
    if (need > BIG_BLOCK) {
        chunk *c = chunk_new(need);
        c->next = a->big;
        a->big = c;
        c->used = need;
        p = c->data;
    } else {
        if (!a->cur || a->cur->cap - a->cur->used < need) {
            chunk *c = a->spare;
            if (c) {
                a->spare = c->next;
                a->spares--;
            } else {
                c = chunk_new(CHUNK_DATA);
                a->chunks++;
            }
            c->next = a->cur;
            a->cur = c;
        }
        p = a->cur->data + a->cur->used;
        a->cur->used += need;
    }
    UNPOISON(p, sizeof(block_header) + n);
    return (block_header *)p;
}

void *sg_arena_alloc(sg_arena *a, size_t size)
{
    block_header *h = arena_take(a, round_up(size));
    h->kind = KIND_ARENA;
    h->size = size;
    return h + 1;
}

void sg_arena_reset(sg_arena *a)
{
    chunks_free(a->big);
    a->big = NULL;
    chunk *c = a->cur;
    a->cur = NULL;
    while (c) {
        chunk *next = c->next;
        if (a->spares < KEEP_CHUNKS) {
            POISON(c->data, c->cap);
            c->used = 0;
            c->next = a->spare;
            a->spare = c;
            a->spares++;
        } else {
            UNPOISON(c->data, c->cap);
            free(c);
            a->chunks--;
        }
        c = next;
    }
}

size_t sg_arena_retained(const sg_arena *a)
{
    return a->chunks * (sizeof(chunk) + CHUNK_DATA);
}

/* ------------------------------------------------------------------ */
/* The thread's arena and the hooks.                                    */
/* ------------------------------------------------------------------ */

static _Thread_local sg_arena *thread_arena; /* created by the first sg_arena_begin() */
static _Thread_local unsigned thread_depth;  /* begin()s not yet ended */
static _Thread_local unsigned thread_paused; /* 1: hooks malloc although depth > 0 */
static pthread_key_t thread_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;

/* Thread exit: its arena goes with it (nothing of a finished request is in it). */
static void thread_arena_free(void *a)
{
    sg_arena_destroy(a);
}

static void thread_key_make(void)
{
    if (pthread_key_create(&thread_key, thread_arena_free))
        sg_oom();
}

void sg_arena_begin(void)
{
    if (!thread_arena) {
        pthread_once(&thread_key_once, thread_key_make);
        thread_arena = sg_arena_new();
        if (pthread_setspecific(thread_key, thread_arena))
            sg_oom();
    }
    thread_depth++;
}

void sg_arena_end(void)
{
    if (!thread_depth)
        abort(); /* an end without a begin: a caller's bug, not a state to go on from */
    if (--thread_depth == 0) {
        thread_paused = 0;
        sg_arena_reset(thread_arena);
    }
}

bool sg_arena_active(void)
{
    return thread_depth > 0 && !thread_paused;
}

unsigned sg_arena_pause(void)
{
    unsigned was = thread_paused;
    thread_paused = 1;
    return was;
}

void sg_arena_resume(unsigned paused)
{
    thread_paused = paused;
}

sg_arena *sg_arena_current(void)
{
    return thread_arena;
}

void *sg_arena_hook_malloc(size_t size)
{
    if (thread_depth && !thread_paused)
        return sg_arena_alloc(thread_arena, size);
    if (size > SIZE_MAX - sizeof(block_header))
        sg_oom();
    block_header *h = sg_malloc(sizeof(block_header) + size);
    h->kind = KIND_MALLOC;
    h->size = size;
    return h + 1;
}

void sg_arena_hook_free(void *p)
{
    if (!p)
        return;
    block_header *h = (block_header *)p - 1;
    switch (h->kind) {
    case KIND_ARENA:
        /* Its arena's reset gives it back; until then nobody may touch it. */
        POISON(h, sizeof(block_header) + round_up(h->size));
        return;
    case KIND_MALLOC:
        h->kind = KIND_FREED;
        free(h);
        return;
    default:
        /* Not a block of these hooks (or one freed twice): going on would corrupt the heap. */
        abort();
    }
}
