/*
 * manifest.c - Kubernetes objects out of YAML/JSON streams and files.
 *
 * `scoregate scan` reads the same files `kubectl apply -f` does: multi-
 * document YAML, JSON, and List kinds (`kubectl get -o yaml` writes
 * `kind: List`, typed lists such as PodList work too) whose items are the
 * objects. Every object must be a mapping with string apiVersion and kind,
 * or the whole call fails naming file, document and line, and the list is
 * left as it was (all-or-nothing, so a scan never half-reads a file).
 * Standard input is named "<stdin>" in messages and results.
 *
 * As lenient as kubectl where kubectl is: a List whose items are null (or a
 * `kind: List` without items) is an empty list. The files of a scanned
 * directory may be read with sg_manifest_parse_or_skip, which tells a file
 * that holds no Kubernetes object at all (kustomization files, Helm values,
 * JSON patches) from a manifest with a broken document.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lists nest at most this deep (a List whose items are Lists ...). */
#define MAX_LIST_NESTING 8

typedef struct doc_pending {
    sg_manifest *items;
    size_t count, cap;
} doc_pending;

typedef struct doc_place {
    const char *name;
    int document;
    const sg_linemap *lines;
    char *err;
    size_t errlen;
} doc_place;

__attribute__((format(printf, 3, 4)))
static int doc_place_fail(const doc_place *pl, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    doc_verr(pl->err, pl->errlen, pl->name, pl->document, line, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *doc_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "a mapping";
    case JSON_ARRAY: return "a sequence";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static void doc_pending_add(doc_pending *p, json_t *object, int document, int line, const char *pointer)
{
    if (p->count == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 8;
        p->items = sg_reallocarray(p->items, p->cap, sizeof(*p->items));
    }
    p->items[p->count++] = (sg_manifest){json_incref(object), NULL, document, line, sg_strdup(pointer)};
}

static void doc_pending_free(doc_pending *p)
{
    for (size_t i = 0; i < p->count; i++) {
        json_decref(p->items[i].object);
        free(p->items[i].pointer);
    }
    free(p->items);
}

/* The line of `obj`'s key `key`, else of `obj`, else `fallback`. */
static int doc_line_of(const doc_place *pl, const json_t *obj, const char *key, int fallback)
{
    int line = key ? sg_linemap_member(pl->lines, obj, key) : 0;
    if (!line)
        line = sg_linemap_node(pl->lines, obj);
    return line ? line : fallback;
}

/* Check one object (what = "" or "items[3]: ", at JSON Pointer `pointer`) and add it, expanding Lists. */
static int doc_take_object(const doc_place *pl, doc_pending *out, json_t *obj, int fallback_line,
                          const char *what, const char *pointer, int nesting)
{
    int line = doc_line_of(pl, obj, NULL, fallback_line);
    if (!json_is_object(obj))
        return doc_place_fail(pl, line, "%sexpected a Kubernetes object (a mapping with apiVersion "
                             "and kind), found %s", what, doc_type_name(obj));
    if (!json_object_get(obj, "apiVersion") && !json_object_get(obj, "kind"))
        return doc_place_fail(pl, line, "%sthe object has neither apiVersion nor kind", what);
    static const char *const required[] = {"apiVersion", "kind"};
    for (size_t i = 0; i < 2; i++) {
        json_t *v = json_object_get(obj, required[i]);
        if (!v)
            return doc_place_fail(pl, line, "%sthe object has no %s", what, required[i]);
        if (!json_is_string(v) || json_string_length(v) == 0)
            return doc_place_fail(pl, doc_line_of(pl, obj, required[i], line),
                                 "%s%s must be a non-empty string, found %s", what, required[i],
                                 json_is_string(v) ? "an empty string" : doc_type_name(v));
    }
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    size_t klen = strlen(kind);
    json_t *items = json_object_get(obj, "items");
    bool list_kind = klen >= 4 && strcmp(kind + klen - 4, "List") == 0;
    /* kubectl reads `items: null` as an empty list, and a v1 List holds nothing else. */
    if (list_kind && (json_is_null(items) || (!items && !strcmp(kind, "List"))))
        return 0;
    if (list_kind && items) {
        if (!json_is_array(items))
            return doc_place_fail(pl, doc_line_of(pl, obj, "items", line),
                                 "%sitems of a %s must be a sequence, found %s", what, kind,
                                 doc_type_name(items));
        if (nesting >= MAX_LIST_NESTING)
            return doc_place_fail(pl, line, "%sLists nested deeper than %d levels", what,
                                 MAX_LIST_NESTING);
        size_t i;
        json_t *item;
        json_array_foreach(items, i, item) {
            char inner[64], at[32 * (MAX_LIST_NESTING + 1)];
            snprintf(inner, sizeof(inner), "items[%zu]: ", i);
            snprintf(at, sizeof(at), "%s/items/%zu", pointer, i);
            int item_line = doc_line_of(pl, item, NULL, doc_line_of(pl, obj, "items", line));
            if (doc_take_object(pl, out, item, item_line, inner, at, nesting + 1) != 0)
                return -1;
        }
        return 0;
    }
    doc_pending_add(out, obj, pl->document, line, pointer);
    return 0;
}

/* Whether some top-level document looks meant for the API server: a mapping
 * with apiVersion or kind (a broken object is still an object). */
static bool doc_any_object(const json_t *docs)
{
    size_t i;
    const json_t *doc;
    json_array_foreach(docs, i, doc)
        if (json_is_object(doc) && (json_object_get(doc, "apiVersion") || json_object_get(doc, "kind")))
            return true;
    return false;
}

/* The reason a stream holds no Kubernetes object, told by its first document. */
static void doc_not_manifest(const char *name, const json_t *docs, const int *numbers, const sg_linemap *lines,
                            char *err, size_t errlen)
{
    const json_t *first = json_array_get(docs, 0);
    int line = sg_linemap_node(lines, first);
    if (json_is_object(first))
        sg_err(err, errlen, "%s: document %d, line %d: no document has apiVersion or kind, so this is not a "
               "Kubernetes manifest", name, numbers[0], line ? line : 1);
    else
        sg_err(err, errlen, "%s: document %d, line %d: %s, not a Kubernetes object (a mapping with apiVersion "
               "and kind), so this is not a Kubernetes manifest", name, numbers[0], line ? line : 1,
               doc_type_name(first));
}

static int doc_manifest_parse(sg_manifest_list *list, const char *name, const char *data, size_t len,
                              bool may_skip, char *err, size_t errlen)
{
    err[0] = '\0';
    if (!name)
        name = "<input>";
    if (!list)
        return sg_err(err, errlen, "%s: no manifest list to add to", name);
    json_t *docs = NULL;
    int *numbers = NULL;
    sg_linemap *lines = NULL;
    if (doc_yaml_load(name, data, len, true, &docs, &numbers, &lines, err, errlen) != 0)
        return -1;

    doc_pending pending = {0};
    int rc = 0;
    if (may_skip && json_array_size(docs) > 0 && !doc_any_object(docs)) {
        doc_not_manifest(name, docs, numbers, lines, err, errlen);
        rc = 1;
    }
    for (size_t i = 0; rc == 0 && i < json_array_size(docs); i++) {
        doc_place pl = {name, numbers[i], lines, err, errlen};
        rc = doc_take_object(&pl, &pending, json_array_get(docs, i), 1, "", "", 0);
    }
    /* Only a stream without errors is added: the list is never left half-read. */
    if (rc == 0) {
        list->files = sg_reallocarray(list->files, list->nfiles + 1, sizeof(*list->files));
        const char *file = list->files[list->nfiles++] = sg_strdup(name);
        if (list->count + pending.count > list->cap) {
            while (list->cap < list->count + pending.count)
                list->cap = list->cap ? list->cap * 2 : 16;
            list->items = sg_reallocarray(list->items, list->cap, sizeof(*list->items));
        }
        for (size_t k = 0; k < pending.count; k++) {
            pending.items[k].file = file;
            list->items[list->count++] = pending.items[k];
        }
        pending.count = 0;
    }
    doc_pending_free(&pending);
    json_decref(docs);
    free(numbers);
    sg_linemap_free(lines);
    return rc;
}

int sg_manifest_parse(sg_manifest_list *list, const char *name, const char *data, size_t len, char *err,
                      size_t errlen)
{
    return doc_manifest_parse(list, name, data, len, false, err, errlen);
}

int sg_manifest_parse_or_skip(sg_manifest_list *list, const char *name, const char *data, size_t len, char *err,
                              size_t errlen)
{
    return doc_manifest_parse(list, name, data, len, true, err, errlen);
}

static int doc_manifest_read(sg_manifest_list *list, const char *path, bool may_skip, char *err, size_t errlen)
{
    err[0] = '\0';
    char *data = NULL;
    size_t len = 0;
    if (sg_file_read(path, SG_MAX_INPUT, &data, &len, err, errlen) != 0)
        return -1;
    int rc = doc_manifest_parse(list, sg_file_name(path), data, len, may_skip, err, errlen);
    free(data);
    return rc;
}

int sg_manifest_read(sg_manifest_list *list, const char *path, char *err, size_t errlen)
{
    return doc_manifest_read(list, path, false, err, errlen);
}

int sg_manifest_read_or_skip(sg_manifest_list *list, const char *path, char *err, size_t errlen)
{
    return doc_manifest_read(list, path, true, err, errlen);
}

void sg_manifest_list_free(sg_manifest_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++) {
        json_decref(list->items[i].object);
        free(list->items[i].pointer);
    }
    free(list->items);
    for (size_t i = 0; i < list->nfiles; i++)
        free(list->files[i]);
    free(list->files);
    *list = (sg_manifest_list){0};
}
