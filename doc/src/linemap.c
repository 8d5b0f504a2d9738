/*
 * linemap.c - where each node of a loaded JSON tree came from.
 *
 * jansson nodes carry no source position, yet users need "config.yaml:
 * line 7: unknown key" and "deploy.yaml: document 2, line 14". The loaders
 * record lines here while they build a tree: one entry per node (keyed by its
 * pointer) and one per member key (keyed by object pointer and key text).
 * It is an open-addressing hash table with linear probing; key texts are
 * copied into an arena so entries never point into a tree that may change.
 */
#include "internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct doc_line_entry {
    const void *ptr;      /* NULL: free slot */
    const char *key;      /* NULL for a node entry; else arena copy of the member key */
    uint64_t hash;
    int line;
} doc_line_entry;

typedef struct doc_arena_block {
    struct doc_arena_block *next;
    size_t used, size;
    char data[];
} doc_arena_block;

struct sg_linemap {
    doc_line_entry *slots;
    size_t cap;           /* power of two, or 0 */
    size_t count;
    doc_arena_block *arena;
};

#define ARENA_BLOCK (64u * 1024u)

static uint64_t doc_mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t doc_entry_hash(const void *ptr, const char *key)
{
    uint64_t h = (uint64_t)(uintptr_t)ptr;
    if (key)
        h ^= sg_fnv1a_str(SG_FNV1A_INIT, key) * 0x9e3779b97f4a7c15ULL;
    return doc_mix(h);
}

static bool doc_entry_matches(const doc_line_entry *e, const void *ptr, const char *key, uint64_t hash)
{
    if (e->ptr != ptr || e->hash != hash)
        return false;
    if (!key || !e->key)
        return !key && !e->key;
    return strcmp(e->key, key) == 0;
}

static const char *doc_arena_strdup(sg_linemap *m, const char *s)
{
    size_t n = strlen(s) + 1;
    doc_arena_block *b = m->arena;
    if (!b || b->size - b->used < n) {
        size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        b = sg_malloc(sizeof(*b) + size);
        b->next = m->arena;
        b->used = 0;
        b->size = size;
        m->arena = b;
    }
    char *dst = b->data + b->used;
    memcpy(dst, s, n);
    b->used += n;
    return dst;
}

/* Index of the slot holding (ptr, key), or of the free slot where it belongs. */
static size_t doc_find_slot(const sg_linemap *m, const void *ptr, const char *key, uint64_t hash)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t)hash & mask;
    while (m->slots[i].ptr && !doc_entry_matches(&m->slots[i], ptr, key, hash))
        i = (i + 1) & mask;
    return i;
}

static void doc_grow(sg_linemap *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 1024;
    doc_line_entry *slots = sg_calloc(ncap, sizeof(*slots));
    doc_line_entry *old = m->slots;
    size_t ocap = m->cap;
    m->slots = slots;
    m->cap = ncap;
    for (size_t i = 0; i < ocap; i++) {
        if (old[i].ptr) {
            size_t j = (size_t)old[i].hash & (ncap - 1);
            while (slots[j].ptr)
                j = (j + 1) & (ncap - 1);
            slots[j] = old[i];
        }
    }
    free(old);
}

static void doc_put(sg_linemap *m, const void *ptr, const char *key, int line)
{
    if ((m->count + 1) * 4 > m->cap * 3)
        doc_grow(m);
    uint64_t hash = doc_entry_hash(ptr, key);
    size_t i = doc_find_slot(m, ptr, key, hash);
    if (m->slots[i].ptr) {
        m->slots[i].line = line;
        return;
    }
    const char *copy = key ? doc_arena_strdup(m, key) : NULL;
    m->slots[i] = (doc_line_entry){ptr, copy, hash, line};
    m->count++;
}

static int doc_get(const sg_linemap *m, const void *ptr, const char *key)
{
    if (!m || !ptr || m->cap == 0)
        return 0;
    uint64_t hash = doc_entry_hash(ptr, key);
    size_t i = doc_find_slot(m, ptr, key, hash);
    return m->slots[i].ptr ? m->slots[i].line : 0;
}

/* Remove (ptr, key) with backward-shift deletion, so probing needs no tombstones. */
static void doc_remove(sg_linemap *m, const void *ptr, const char *key)
{
    if (m->cap == 0)
        return;
    uint64_t hash = doc_entry_hash(ptr, key);
    size_t mask = m->cap - 1;
    size_t i = doc_find_slot(m, ptr, key, hash);
    if (!m->slots[i].ptr)
        return;
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!m->slots[j].ptr)
            break;
        size_t home = (size_t)m->slots[j].hash & mask;
        /* Move slot j back to i unless its home lies cyclically in (i, j]. */
        bool stays = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    m->slots[i] = (doc_line_entry){0};
    m->count--;
}

sg_linemap *doc_linemap_new(void)
{
    return sg_calloc(1, sizeof(sg_linemap));
}

void doc_linemap_set_node(sg_linemap *m, const json_t *node, int line)
{
    if (node && !json_is_true(node) && !json_is_false(node) && !json_is_null(node))
        doc_put(m, node, NULL, line);
}

void doc_linemap_set_member(sg_linemap *m, const json_t *obj, const char *key, int line)
{
    doc_put(m, obj, key, line);
}

void doc_linemap_forget(sg_linemap *m, const json_t *node)
{
    if (!m || !node)
        return;
    doc_remove(m, node, NULL);
    if (json_is_object(node)) {
        json_t *obj = (json_t *)node;
        for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it))
            doc_remove(m, node, json_object_iter_key(it));
    }
}

int sg_linemap_node(const sg_linemap *m, const json_t *node)
{
    return doc_get(m, node, NULL);
}

int sg_linemap_member(const sg_linemap *m, const json_t *obj, const char *key)
{
    if (!key)
        return 0;
    return doc_get(m, obj, key);
}

void sg_linemap_free(sg_linemap *m)
{
    if (!m)
        return;
    doc_arena_block *b = m->arena;
    while (b) {
        doc_arena_block *next = b->next;
        free(b);
        b = next;
    }
    free(m->slots);
    free(m);
}
