/*
 * json_alloc.c - jansson's allocator (sg_json_use_arena: base's arena
 * hooks) and JSON text in plain malloc memory (sg_json_dumps).
 *
 * jansson takes one allocator per process. With the arena hooks installed, a
 * request handled between sg_arena_begin() and sg_arena_end() builds and
 * frees its trees without malloc (base/src/arena.c). What jansson returns as
 * plain memory, json_dumps' text, would then be a block of those hooks that
 * free() must not see, and an arena block would not outlive the request. So
 * nothing calls json_dumps: sg_json_dumps writes the same text through
 * json_dump_callback into a malloc'd buffer the caller frees with free(),
 * which also saves jansson's copy of its growing buffer.
 */
#include <scoregate/doc.h>

#include <stdlib.h>
#include <string.h>

void sg_json_use_arena(void)
{
    json_set_alloc_funcs(sg_arena_hook_malloc, sg_arena_hook_free);
}

typedef struct {
    char *data;
    size_t len, cap;
} text_buf;

static int append(const char *buffer, size_t size, void *data)
{
    text_buf *b = data;
    if (size >= b->cap - b->len) {
        size_t cap = b->cap;
        while (size >= cap - b->len)
            cap *= 2;
        b->data = sg_realloc(b->data, cap);
        b->cap = cap;
    }
    memcpy(b->data + b->len, buffer, size);
    b->len += size;
    return 0;
}

char *sg_json_dumps(const json_t *json, size_t flags, size_t *len)
{
    text_buf b = {sg_malloc(1024), 0, 1024};
    if (json_dump_callback(json, append, &b, flags) != 0) {
        free(b.data);
        return NULL;
    }
    b.data[b.len] = '\0';
    if (len)
        *len = b.len;
    return b.data;
}
