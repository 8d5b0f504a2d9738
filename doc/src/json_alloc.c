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
 *
 * sg_json_deep_copy: json_deep_copy without its loop detection (a table of
 * every container on the path, which made a copy of a request's object cost
 * as much as decoding it): trees here are built from text, never cyclic.
 */
#include <scoregate/doc.h>

#include <stdio.h>
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

/* A JSON string as jansson writes it without JSON_ENSURE_ASCII: '"', '\\' and
 * control characters escaped (\b \f \n \r \t by name, others as \u00XX),
 * everything else as it is. -1 on bytes jansson may judge otherwise. */
static int fast_string(const char *s, size_t n, text_buf *b)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    append("\"", 1, b);
    while (p < end) {
        const unsigned char *run = p;
        while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            p++;
        append((const char *)run, (size_t)(p - run), b);
        if (p >= end)
            break;
        unsigned c = *p;
        if (c >= 0x80) {
            size_t k = sg_utf8_char((const char *)p, (size_t)(end - p));
            if (!k)
                return -1;
            append((const char *)p, k, b);
            p += k;
            continue;
        }
        char seq[8] = {'\\', (char)c};
        switch (c) {
        case '"': case '\\': break;
        case '\b': seq[1] = 'b'; break;
        case '\f': seq[1] = 'f'; break;
        case '\n': seq[1] = 'n'; break;
        case '\r': seq[1] = 'r'; break;
        case '\t': seq[1] = 't'; break;
        default:
            append(seq, (size_t)snprintf(seq, sizeof seq, "\\u%04X", c), b);
            p++;
            continue;
        }
        append(seq, 2, b);
        p++;
    }
    append("\"", 1, b);
    return 0;
}

/* Compact JSON of `v` into `b` as jansson writes it, for trees of strings,
 * integers, booleans, nulls and containers (reals go through jansson one by
 * one). -1 when jansson must write the whole of it: a string that is not
 * UTF-8 as sg_utf8_char() sees it (jansson decides about those). */
static int fast_dump(const json_t *v, size_t flags, text_buf *b)
{
    char num[32];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *item;
        bool first = true;
        append("{", 1, b);
        json_object_foreach((json_t *)v, key, item) {
            if (!first)
                append(",", 1, b);
            first = false;
            if (fast_string(key, strlen(key), b) < 0)
                return -1;
            append(":", 1, b);
            if (fast_dump(item, flags, b) < 0)
                return -1;
        }
        append("}", 1, b);
        return 0;
    }
    case JSON_ARRAY: {
        append("[", 1, b);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                append(",", 1, b);
            if (fast_dump(json_array_get(v, i), flags, b) < 0)
                return -1;
        }
        append("]", 1, b);
        return 0;
    }
    case JSON_STRING:
        return fast_string(json_string_value(v), json_string_length(v), b);
    case JSON_INTEGER:
        append(num, (size_t)snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v)), b);
        return 0;
    case JSON_REAL:
        return json_dump_callback(v, append, b, flags | JSON_ENCODE_ANY);
    case JSON_TRUE:
        append("true", 4, b);
        return 0;
    case JSON_FALSE:
        append("false", 5, b);
        return 0;
    case JSON_NULL:
        append("null", 4, b);
        return 0;
    }
    return -1;
}

char *sg_json_dumps(const json_t *json, size_t flags, size_t *len)
{
    text_buf b = {sg_malloc(1024), 0, 1024};
    /* The common case, compact text in insertion order, written here: through
     * jansson's callbacks it was a tenth of a review (BENCHMARKS.md). */
    size_t fast = JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY;
    if (json && (flags & JSON_COMPACT) && !(flags & ~fast) &&
        ((flags & JSON_ENCODE_ANY) || json_is_object(json) || json_is_array(json))) {
        if (fast_dump(json, flags, &b) == 0)
            goto done;
        b.len = 0;
    }
    if (json_dump_callback(json, append, &b, flags) != 0) {
        free(b.data);
        return NULL;
    }
done:
    b.data[b.len] = '\0';
    if (len)
        *len = b.len;
    return b.data;
}

json_t *sg_json_deep_copy(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        json_t *out = sg_check_alloc(json_object());
        const char *key;
        json_t *item;
        json_object_foreach((json_t *)v, key, item) {
            if (json_object_setn_new_nocheck(out, key, json_object_iter_key_len(json_object_key_to_iter(key)),
                                             sg_json_deep_copy(item)))
                sg_oom();
        }
        return out;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        json_t *out = sg_check_alloc(json_array());
        for (size_t i = 0; i < n; i++)
            if (json_array_append_new(out, sg_json_deep_copy(json_array_get(v, i))))
                sg_oom();
        return out;
    }
    case JSON_STRING:
        return sg_check_alloc(json_stringn_nocheck(json_string_value(v), json_string_length(v)));
    case JSON_INTEGER:
        return sg_check_alloc(json_integer(json_integer_value(v)));
    case JSON_REAL:
        return sg_check_alloc(json_real(json_real_value(v)));
    default: /* true, false, null: shared singletons */
        return (json_t *)v;
    }
}
