/*
 * yaml_load.c - YAML (and JSON) streams into JSON trees with source lines.
 *
 * Everything downstream (rules, settings, fixes) works on jansson trees, so
 * the stream is turned into one here: libyaml's events are folded into
 * json_t nodes on an explicit stack (no recursion on input depth), scalars
 * resolve as Kubernetes reads them (yaml_scalar.c), and every node and key
 * gets its line in a sg_linemap. Text that starts with '{' or '[' is first
 * tried as JSON (json_load.c), which is faster. For manifests only what
 * manifest.c asks about gets a line (doc_yaml_load): the documents, their
 * keys, and the same of `items` lists; the line map was a tenth of a scan.
 *
 * Choices, made to match what `kubectl apply` accepts:
 *  - Duplicate keys in one mapping are an error: kubectl validates manifests
 *    with a strict YAML decoder ("mapping key ... already defined").
 *  - Aliases are deep copies (a json_t never has two parents), counted
 *    against SG_MAX_NODES and SG_MAX_DEPTH. Like go-yaml, a document whose
 *    nodes come almost only from aliases fails early ("excessive aliasing"),
 *    so a billion-laughs bomb stops after a few thousand nodes.
 *  - Merge keys (`<<: *base`, `<<: [*a, *b]`) follow the YAML merge spec:
 *    keys written in the mapping win over merged ones, earlier merged
 *    mappings win over later ones, and merged keys are not duplicates.
 *  - Anchors are scoped to their document; mapping keys must be scalars
 *    (non-string keys become their string form, as sigs.k8s.io/yaml does).
 *  - Documents that are empty or null are skipped (but still numbered).
 */
#include "internal.h"

#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* go-yaml's alias budget: the share of a document's nodes that may come from
 * aliases, from 99% for documents up to 400k nodes down to 10% at 4M. */
#define ALIAS_RATIO_LOW 400000.0
#define ALIAS_RATIO_HIGH 4000000.0

typedef struct doc_anchor {
    char *name;
    json_t *node;      /* a reference held by the table */
    size_t nodes;      /* nodes in the subtree */
    int height;        /* nesting levels in it: 0 for a scalar */
} doc_anchor;

typedef struct doc_frame {
    json_t *node;      /* the object or array being built */
    char *anchor;      /* to register when it is complete, or NULL */
    int line;
    size_t nodes_at_start;
    int height;        /* largest height of a child so far */
    char *key;         /* mappings: the key whose value comes next (owned) */
    int key_line;
    bool key_pending;  /* a key was read; its value has not */
    bool merge_pending;/* that key is "<<" */
    json_t *merges;    /* mappings to merge at the end, in order, or NULL */
    bool lines;        /* its node and keys go into the line map */
    struct doc_seen {  /* otherwise a mapping's keys so far (owned) and their lines, for "first at line" */
        char *key;
        int line;
    } *seen;
    size_t nseen;
} doc_frame;

typedef struct doc_loader {
    const char *name;
    const char *data;
    size_t len;
    sg_linemap *lines;
    bool manifest_lines;       /* lines only for what manifest.c reads (doc_child_lines) */
    json_t *docs;
    int *docnums;
    size_t ndocs, capdocs;
    doc_frame *stack;
    size_t depth, stackcap;
    doc_anchor *anchors;
    size_t nanchors, capanchors;
    size_t *anchor_index;      /* hash of anchor names: 1 + position in anchors, 0 = free */
    size_t index_cap;          /* a power of two, or 0 */
    json_t *root;
    int docno;
    bool in_document;
    size_t nodes;              /* in the stream */
    size_t doc_nodes, doc_alias_nodes;
    char *err;
    size_t errlen;
} doc_loader;

__attribute__((format(printf, 3, 4)))
static int doc_fail(doc_loader *ld, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    doc_verr(ld->err, ld->errlen, ld->name, ld->in_document ? ld->docno : ld->docno + 1, line, fmt, ap);
    va_end(ap);
    return -1;
}

static doc_frame *doc_top(doc_loader *ld)
{
    return ld->depth ? &ld->stack[ld->depth - 1] : NULL;
}

/* Whether the node that comes next gets lines: always, but for manifests
 * only a document, an item of a list that does, and the `items` of a mapping
 * that does (a List's items, nested as deep as manifest.c follows them). */
static bool doc_child_lines(const doc_loader *ld)
{
    const doc_frame *f = ld->depth ? &ld->stack[ld->depth - 1] : NULL;
    if (!ld->manifest_lines || !f)
        return true;
    return f->lines && (json_is_array(f->node) || (f->key && !strcmp(f->key, "items")));
}

/* The line of key `key` in mapping frame `f`, 0 when unknown. */
static int doc_key_line(const doc_loader *ld, const doc_frame *f, const char *key)
{
    for (size_t i = 0; !f->lines && i < f->nseen; i++)
        if (!strcmp(f->seen[i].key, key))
            return f->seen[i].line;
    return f->lines ? sg_linemap_member(ld->lines, f->node, key) : 0;
}

/* Record the key just set in `f` (whose text it takes): in the line map, or in the frame. */
static void doc_key_done(doc_loader *ld, doc_frame *f)
{
    if (f->lines) {
        doc_linemap_set_member(ld->lines, f->node, f->key, f->key_line);
        free(f->key);
    } else {
        if ((f->nseen & (f->nseen - 1)) == 0)   /* 0, 1, 2, 4, ...: grow at powers of two */
            f->seen = sg_reallocarray(f->seen, f->nseen ? 2 * f->nseen : 1, sizeof *f->seen);
        f->seen[f->nseen++] = (struct doc_seen){f->key, f->key_line};
    }
    f->key = NULL;
}

static void doc_frame_free(doc_frame *f)
{
    free(f->anchor);
    free(f->key);
    for (size_t i = 0; i < f->nseen; i++)
        free(f->seen[i].key);
    free(f->seen);
}

static bool doc_expects_key(doc_loader *ld)
{
    doc_frame *f = doc_top(ld);
    return f && json_is_object(f->node) && !f->key_pending;
}

static double doc_allowed_alias_ratio(double nodes)
{
    if (nodes <= ALIAS_RATIO_LOW)
        return 0.99;
    if (nodes >= ALIAS_RATIO_HIGH)
        return 0.10;
    return 0.99 - 0.89 * (nodes - ALIAS_RATIO_LOW) / (ALIAS_RATIO_HIGH - ALIAS_RATIO_LOW);
}

/* Account for `n` new nodes (from an alias when `alias`); fails past the limits. */
static int doc_count_nodes(doc_loader *ld, size_t n, bool alias, int line)
{
    if (n > SG_MAX_NODES || ld->nodes > SG_MAX_NODES - n)
        return doc_fail(ld, line, "more than %u nodes (aliases expanded); the input is too large",
                       (unsigned)SG_MAX_NODES);
    size_t doc = ld->doc_nodes + n;
    size_t from_alias = ld->doc_alias_nodes + (alias ? n : 0);
    if (alias && from_alias > 100 && doc > 1000 &&
        (double)from_alias / (double)doc > doc_allowed_alias_ratio((double)doc))
        return doc_fail(ld, line,
                       "document contains excessive aliasing (%zu of %zu nodes come from aliases)",
                       from_alias, doc);
    ld->nodes += n;
    ld->doc_nodes = doc;
    ld->doc_alias_nodes = from_alias;
    return 0;
}

static void doc_discard(doc_loader *ld, json_t *node);

static void doc_anchors_clear(doc_loader *ld)
{
    for (size_t i = 0; i < ld->nanchors; i++) {
        free(ld->anchors[i].name);
        doc_discard(ld, ld->anchors[i].node);
    }
    ld->nanchors = 0;
    if (ld->index_cap)
        memset(ld->anchor_index, 0, ld->index_cap * sizeof(*ld->anchor_index));
}

static size_t doc_name_hash(const char *name)
{
    uint64_t h = sg_fnv1a_str(SG_FNV1A_INIT, name);
    return (size_t)(h ^ (h >> 29));
}

/* The index slot of anchor `name`: holding it, or the free slot where it belongs. */
static size_t *doc_anchor_slot(doc_loader *ld, const char *name)
{
    size_t mask = ld->index_cap - 1;
    for (size_t i = doc_name_hash(name) & mask;; i = (i + 1) & mask) {
        size_t *slot = &ld->anchor_index[i];
        if (*slot == 0 || strcmp(ld->anchors[*slot - 1].name, name) == 0)
            return slot;
    }
}

static void doc_anchor_index_grow(doc_loader *ld)
{
    size_t cap = ld->index_cap ? ld->index_cap * 2 : 64;
    size_t *index = sg_calloc(cap, sizeof(*index));
    free(ld->anchor_index);
    ld->anchor_index = index;
    ld->index_cap = cap;
    for (size_t i = 0; i < ld->nanchors; i++)
        *doc_anchor_slot(ld, ld->anchors[i].name) = i + 1;
}

/* Define (or redefine: the latest definition counts) anchor `name`. */
static void doc_anchor_add(doc_loader *ld, const char *name, json_t *node, size_t nodes, int height)
{
    if ((ld->nanchors + 1) * 2 > ld->index_cap)
        doc_anchor_index_grow(ld);
    size_t *slot = doc_anchor_slot(ld, name);
    if (*slot) {
        doc_anchor *a = &ld->anchors[*slot - 1];
        doc_discard(ld, a->node);
        a->node = json_incref(node);
        a->nodes = nodes;
        a->height = height;
        return;
    }
    if (ld->nanchors == ld->capanchors) {
        ld->capanchors = ld->capanchors ? ld->capanchors * 2 : 16;
        ld->anchors = sg_reallocarray(ld->anchors, ld->capanchors, sizeof(*ld->anchors));
    }
    ld->anchors[ld->nanchors++] = (doc_anchor){sg_strdup(name), json_incref(node), nodes, height};
    *slot = ld->nanchors;
}

static const doc_anchor *doc_anchor_find(doc_loader *ld, const char *name)
{
    if (ld->index_cap == 0)
        return NULL;
    size_t *slot = doc_anchor_slot(ld, name);
    return *slot ? &ld->anchors[*slot - 1] : NULL;
}

/* A deep copy of `src` carrying the lines of the original; the root gets `line`. */
static json_t *doc_copy(doc_loader *ld, const json_t *src, int line)
{
    json_t *out;
    switch (json_typeof(src)) {
    case JSON_OBJECT: {
        out = sg_check_alloc(json_object());
        const char *key;
        json_t *value;
        json_object_foreach((json_t *)src, key, value) {
            if (json_object_set_new_nocheck(out, key, doc_copy(ld, value, sg_linemap_node(ld->lines, value))))
                sg_oom();
            doc_linemap_set_member(ld->lines, out, key, sg_linemap_member(ld->lines, src, key));
        }
        break;
    }
    case JSON_ARRAY: {
        out = sg_check_alloc(json_array());
        size_t i;
        json_t *value;
        json_array_foreach(src, i, value)
            if (json_array_append_new(out, doc_copy(ld, value, sg_linemap_node(ld->lines, value))))
                sg_oom();
        break;
    }
    case JSON_STRING:
        out = sg_check_alloc(json_stringn_nocheck(json_string_value(src), json_string_length(src)));
        break;
    case JSON_INTEGER:
        out = sg_check_alloc(json_integer(json_integer_value(src)));
        break;
    case JSON_REAL:
        out = sg_check_alloc(json_real(json_real_value(src)));
        break;
    default:
        return json_incref((json_t *)src);
    }
    doc_linemap_set_node(ld->lines, out, line);
    return out;
}

/* Forget the lines of `node` and of those nodes below it that die with it. */
static void doc_forget_dying(doc_loader *ld, json_t *node)
{
    if (node->refcount != 1)
        return;
    doc_linemap_forget(ld->lines, node);
    if (json_is_object(node)) {
        const char *key;
        json_t *value;
        json_object_foreach(node, key, value)
            doc_forget_dying(ld, value);
    } else if (json_is_array(node)) {
        size_t i;
        json_t *value;
        json_array_foreach(node, i, value)
            doc_forget_dying(ld, value);
    }
}

static void doc_discard(doc_loader *ld, json_t *node)
{
    if (node) {
        doc_forget_dying(ld, node);
        json_decref(node);
    }
}

/* Apply a mapping's merge keys: only keys it does not have yet, first source first. */
static void doc_apply_merges(doc_loader *ld, doc_frame *f)
{
    size_t i;
    json_t *src;
    json_array_foreach(f->merges, i, src) {
        const char *key;
        json_t *value;
        json_object_foreach(src, key, value) {
            if (json_object_get(f->node, key))
                continue;
            if (json_object_set_nocheck(f->node, key, value))
                sg_oom();
            if (f->lines)
                doc_linemap_set_member(ld->lines, f->node, key, sg_linemap_member(ld->lines, src, key));
        }
    }
    doc_discard(ld, f->merges);
    f->merges = NULL;
}

static int doc_add_merge_source(doc_loader *ld, doc_frame *f, json_t *src, int line)
{
    if (!json_is_object(src)) {
        doc_discard(ld, src);
        return doc_fail(ld, line, "the merge key '<<' takes a mapping or a list of mappings");
    }
    if (!f->merges)
        f->merges = sg_check_alloc(json_array());
    if (json_array_append_new(f->merges, src))
        sg_oom();
    return 0;
}

/* Put a complete node (a new reference, always consumed) where the stack says. */
static int doc_attach(doc_loader *ld, json_t *value, int line, int height)
{
    doc_frame *f = doc_top(ld);
    if (!f) {
        ld->root = value;
        return 0;
    }
    if (height > f->height)
        f->height = height;
    if (json_is_array(f->node)) {
        if (json_array_append_new(f->node, value))
            sg_oom();
        return 0;
    }
    if (f->merge_pending) {
        f->key_pending = f->merge_pending = false;
        if (!json_is_array(value))
            return doc_add_merge_source(ld, f, value, line);
        size_t i;
        json_t *item;
        json_array_foreach(value, i, item) {
            int item_line = sg_linemap_node(ld->lines, item);
            if (doc_add_merge_source(ld, f, json_incref(item), item_line ? item_line : line) != 0) {
                doc_discard(ld, value);
                return -1;
            }
        }
        doc_discard(ld, value);
        return 0;
    }
    assert(f->key_pending && f->key);
    if (json_object_get(f->node, f->key)) {
        int first = doc_key_line(ld, f, f->key);
        doc_discard(ld, value);
        return doc_fail(ld, f->key_line, "duplicate key \"%s\" (first at line %d)", f->key, first);
    }
    /* Keys are valid UTF-8 (libyaml's text, or a resolved scalar's) without NUL (doc_set_key). */
    if (json_object_set_new_nocheck(f->node, f->key, value))
        sg_oom();
    doc_key_done(ld, f);
    f->key_pending = false;
    return 0;
}

static int doc_set_key(doc_loader *ld, const json_t *v, int line)
{
    doc_frame *f = doc_top(ld);
    char *key = doc_yaml_key_text(v);
    if (!key)
        return doc_fail(ld, line, "a mapping key must be a scalar, not a %s",
                        json_is_object(v) ? "mapping" : "sequence");
    if (json_is_string(v) && strlen(key) != json_string_length(v)) {
        free(key);
        return doc_fail(ld, line, "a mapping key contains a NUL character");
    }
    f->key = key;
    f->key_line = line;
    f->key_pending = true;
    return 0;
}

static int doc_on_scalar(doc_loader *ld, const yaml_event_t *ev, int line)
{
    const char *text = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    const char *anchor = (const char *)ev->data.scalar.anchor;
    bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    bool is_key = doc_expects_key(ld);

    if (is_key && doc_yaml_is_merge_key(text, len, tag, plain)) {
        doc_frame *f = doc_top(ld);
        f->key_pending = f->merge_pending = true;
        f->key_line = line;
        return 0;
    }
    if (is_key && !tag && !anchor && (!plain || doc_yaml_plain_is_string(text, len))) {
        /* A string key: its text as it is, without a JSON value in between. */
        if (memchr(text, '\0', len))
            return doc_fail(ld, line, "a mapping key contains a NUL character");
        doc_frame *f = doc_top(ld);
        f->key = sg_strndup(text, len);
        f->key_line = line;
        f->key_pending = true;
        return 0;
    }
    const char *why = NULL;
    json_t *v = doc_yaml_scalar(text, len, tag, plain, &why);
    if (!v)
        return doc_fail(ld, line, "%s", why);
    if (anchor)
        doc_anchor_add(ld, anchor, v, 1, 0);
    if (is_key) {
        int rc = doc_set_key(ld, v, line);
        json_decref(v);
        return rc;
    }
    if (doc_count_nodes(ld, 1, false, line) != 0) {
        json_decref(v);
        return -1;
    }
    if (doc_child_lines(ld))
        doc_linemap_set_node(ld->lines, v, line);
    return doc_attach(ld, v, line, 0);
}

static int doc_on_alias(doc_loader *ld, const yaml_event_t *ev, int line)
{
    const char *name = (const char *)ev->data.alias.anchor;
    const doc_anchor *a = doc_anchor_find(ld, name);
    if (!a)
        return doc_fail(ld, line, "unknown anchor '%s' (an alias must follow its anchor, in the same document)",
                       name);
    if (doc_expects_key(ld))
        return doc_set_key(ld, a->node, line);
    if ((size_t)a->height + ld->depth > SG_MAX_DEPTH)
        return doc_fail(ld, line, "nesting deeper than %d levels (aliases expanded)", SG_MAX_DEPTH);
    if (doc_count_nodes(ld, a->nodes, true, line) != 0)
        return -1;
    return doc_attach(ld, doc_copy(ld, a->node, line), line, a->height);
}

static int doc_on_start(doc_loader *ld, const yaml_event_t *ev, int line, bool mapping)
{
    if (doc_expects_key(ld))
        return doc_fail(ld, line, "a mapping key must be a scalar, not a %s",
                       mapping ? "mapping" : "sequence");
    if (ld->depth + 1 > SG_MAX_DEPTH)
        return doc_fail(ld, line, "nesting deeper than %d levels", SG_MAX_DEPTH);
    if (doc_count_nodes(ld, 1, false, line) != 0)
        return -1;
    const yaml_char_t *anchor = mapping ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    if (ld->depth == ld->stackcap) {
        ld->stackcap = ld->stackcap ? ld->stackcap * 2 : 16;
        ld->stack = sg_reallocarray(ld->stack, ld->stackcap, sizeof(*ld->stack));
    }
    doc_frame f = {0};
    f.node = sg_check_alloc(mapping ? json_object() : json_array());
    f.line = line;
    f.nodes_at_start = ld->nodes - 1;
    f.anchor = anchor ? sg_strdup((const char *)anchor) : NULL;
    f.lines = doc_child_lines(ld);
    if (f.lines)
        doc_linemap_set_node(ld->lines, f.node, line);
    ld->stack[ld->depth++] = f;
    return 0;
}

static int doc_on_end(doc_loader *ld)
{
    doc_frame f = ld->stack[--ld->depth];
    if (f.merges)
        doc_apply_merges(ld, &f);
    int height = f.height + 1;
    if (f.anchor)
        doc_anchor_add(ld, f.anchor, f.node, ld->nodes - f.nodes_at_start, height);
    doc_frame_free(&f);
    return doc_attach(ld, f.node, f.line, height);
}

static int doc_on_document_end(doc_loader *ld)
{
    json_t *root = ld->root;
    ld->root = NULL;
    ld->in_document = false;
    doc_anchors_clear(ld);
    if (!root || json_is_null(root))
        return 0;
    if (ld->ndocs == ld->capdocs) {
        ld->capdocs = ld->capdocs ? ld->capdocs * 2 : 8;
        ld->docnums = sg_reallocarray(ld->docnums, ld->capdocs, sizeof(*ld->docnums));
    }
    if (json_array_append_new(ld->docs, root))
        sg_oom();
    ld->docnums[ld->ndocs++] = ld->docno;
    return 0;
}

static int doc_parser_error(doc_loader *ld, const yaml_parser_t *p)
{
    if (p->error == YAML_MEMORY_ERROR)
        sg_oom();
    int line;
    if (p->error == YAML_READER_ERROR) {
        line = 1;
        for (size_t i = 0; i < p->problem_offset && i < ld->len; i++)
            line += ld->data[i] == '\n';
    } else {
        line = (int)p->problem_mark.line + 1;
    }
    return doc_fail(ld, line, "%s", p->problem ? p->problem : "invalid YAML");
}

static int doc_on_event(doc_loader *ld, const yaml_event_t *ev)
{
    int line = (int)ev->start_mark.line + 1;
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        ld->docno++;
        ld->in_document = true;
        ld->doc_nodes = ld->doc_alias_nodes = 0;
        return 0;
    case YAML_DOCUMENT_END_EVENT:
        return doc_on_document_end(ld);
    case YAML_SCALAR_EVENT:
        return doc_on_scalar(ld, ev, line);
    case YAML_ALIAS_EVENT:
        return doc_on_alias(ld, ev, line);
    case YAML_MAPPING_START_EVENT:
        return doc_on_start(ld, ev, line, true);
    case YAML_SEQUENCE_START_EVENT:
        return doc_on_start(ld, ev, line, false);
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT:
        return doc_on_end(ld);
    default:
        return 0;
    }
}

static void doc_loader_cleanup(doc_loader *ld)
{
    while (ld->depth) {
        doc_frame *f = &ld->stack[--ld->depth];
        json_decref(f->node);
        json_decref(f->merges);
        doc_frame_free(f);
    }
    free(ld->stack);
    doc_anchors_clear(ld);
    free(ld->anchors);
    free(ld->anchor_index);
    json_decref(ld->root);
}

static int doc_yaml_parse(doc_loader *ld, const char *data, size_t len)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        sg_oom();
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    int rc = 0;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = doc_parser_error(ld, &parser);
            break;
        }
        bool done = ev.type == YAML_STREAM_END_EVENT;
        rc = doc_on_event(ld, &ev);
        yaml_event_delete(&ev);
        if (rc != 0 || done)
            break;
    }
    yaml_parser_delete(&parser);
    doc_loader_cleanup(ld);
    return rc;
}

int sg_yaml_load(const char *name, const char *data, size_t len, json_t **docs,
                 int **doc_numbers, sg_linemap **lines, char *err, size_t errlen)
{
    return doc_yaml_load(name, data, len, false, docs, doc_numbers, lines, err, errlen);
}

int doc_yaml_load(const char *name, const char *data, size_t len, bool manifest_lines, json_t **docs,
                  int **doc_numbers, sg_linemap **lines, char *err, size_t errlen)
{
    err[0] = '\0';
    if (!name)
        name = "<input>";
    doc_loader ld = {.name = name, .data = data, .len = len, .manifest_lines = manifest_lines, .err = err,
                     .errlen = errlen};
    if (!docs || (!data && len))
        return doc_fail(&ld, 0, "no input");
    if (len > SG_MAX_INPUT)
        return sg_err(err, errlen, "%s: input is %zu bytes, more than the limit of %u bytes", name, len,
                      (unsigned)SG_MAX_INPUT);
    if (doc_stream_looks_like_json(data, len)) {
        int rc = doc_json_load(name, data, len, docs, doc_numbers, lines, err, errlen);
        if (rc != 1)
            return rc;
    }
    ld.docs = sg_check_alloc(json_array());
    ld.lines = doc_linemap_new();
    char *copy = NULL;
    ld.len = data ? doc_stream_drop_boms(data, len, &copy) : 0;
    ld.data = copy ? copy : data ? data : "";
    int rc = doc_yaml_parse(&ld, ld.data, ld.len);
    free(copy);
    if (rc != 0) {
        json_decref(ld.docs);
        sg_linemap_free(ld.lines);
        free(ld.docnums);
        return -1;
    }
    *docs = ld.docs;
    if (doc_numbers)
        *doc_numbers = ld.docnums ? ld.docnums : sg_calloc(1, sizeof(int));
    else
        free(ld.docnums);
    if (lines)
        *lines = ld.lines;
    else
        sg_linemap_free(ld.lines);
    return 0;
}
