/*
 * edit_tree.c - the source tree of a stream for the editor: every node of
 * every document with the bytes it spans, its style, its anchor and the
 * aliases that refer to it, and for map keys the text the loader reads.
 *
 * libyaml's events carry marks; their index counts characters, not bytes (a
 * CRLF counts two), so a table of every 64th character's byte offset turns
 * marks into offsets. Block collections end where their last child ends: the
 * mark libyaml gives their end is the next token, past any comments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "edit_internal.h"
#include "internal.h"

#define ED_MARK_STEP 64

typedef struct ed_anchor_slot {
    const char *name;     /* borrowed from the node */
    size_t node;
} ed_anchor_slot;

typedef struct ed_builder {
    ed_tree *t;
    size_t from, to;      /* the part of the text being read */
    int docno;
    int first_line;       /* lines before `from` */
    size_t *marks;        /* byte offset of every ED_MARK_STEP-th character */
    size_t nmarks;
    size_t *stack;
    size_t depth, stackcap;
    ed_anchor_slot *anchors;   /* open addressing, a power of two; name NULL = free */
    size_t anchor_cap, nanchors;
} ed_builder;

static size_t ed_char_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* The table of character offsets. libyaml skips a UTF-8 byte order mark without counting it (when it
 * detects the encoding itself, as here and in the loader). */
static void ed_marks_build(ed_builder *b)
{
    const char *s = b->t->text;
    size_t len = b->to, pos = b->from, chars = 0;
    if (len - pos >= 3 && !memcmp(s + pos, "\xEF\xBB\xBF", 3))
        pos += 3;
    b->marks = sg_malloc(((len - b->from) / ED_MARK_STEP + 2) * sizeof *b->marks);
    while (pos < len) {
        if (chars % ED_MARK_STEP == 0)
            b->marks[b->nmarks++] = pos;
        pos += ed_char_len((unsigned char)s[pos]);
        chars++;
    }
    if (chars % ED_MARK_STEP == 0)
        b->marks[b->nmarks++] = len;
}

/* The byte offset of character `index`. */
static size_t ed_offset(const ed_builder *b, size_t index)
{
    size_t slot = index / ED_MARK_STEP;
    if (slot >= b->nmarks)
        return b->to;
    size_t pos = b->marks[slot];
    for (size_t k = index % ED_MARK_STEP; k && pos < b->to; k--)
        pos += ed_char_len((unsigned char)b->t->text[pos]);
    return pos < b->to ? pos : b->to;
}

static size_t ed_anchor_hash(const char *name)
{
    uint64_t h = sg_fnv1a_str(SG_FNV1A_INIT, name);
    return (size_t)(h ^ (h >> 31));
}

static ed_anchor_slot *ed_anchor_slot_of(ed_builder *b, const char *name)
{
    size_t mask = b->anchor_cap - 1;
    for (size_t i = ed_anchor_hash(name) & mask;; i = (i + 1) & mask)
        if (!b->anchors[i].name || !strcmp(b->anchors[i].name, name))
            return &b->anchors[i];
}

/* Define anchor `name` (the latest definition counts, as in the loader). */
static void ed_anchor_define(ed_builder *b, const char *name, size_t node)
{
    if ((b->nanchors + 1) * 2 > b->anchor_cap) {
        ed_anchor_slot *old = b->anchors;
        size_t oldcap = b->anchor_cap;
        b->anchor_cap = oldcap ? oldcap * 2 : 32;
        b->anchors = sg_calloc(b->anchor_cap, sizeof *b->anchors);
        for (size_t i = 0; i < oldcap; i++)
            if (old[i].name)
                *ed_anchor_slot_of(b, old[i].name) = old[i];
        free(old);
    }
    ed_anchor_slot *slot = ed_anchor_slot_of(b, name);
    b->nanchors += slot->name == NULL;
    *slot = (ed_anchor_slot){name, node};
}

static size_t ed_anchor_find(ed_builder *b, const char *name)
{
    if (!b->anchor_cap)
        return ED_NONE;
    ed_anchor_slot *slot = ed_anchor_slot_of(b, name);
    return slot->name ? slot->node : ED_NONE;
}

/* Anchors are scoped to their document. */
static void ed_anchors_clear(ed_builder *b)
{
    if (b->anchor_cap)
        memset(b->anchors, 0, b->anchor_cap * sizeof *b->anchors);
    b->nanchors = 0;
}

/* Skip a node's properties (&anchor, !tag, in either order) from `pos`: the anchor by its name's length
 * (':' may end it), a tag up to the next blank. */
static size_t ed_skip_properties(const ed_tree *t, size_t pos, const char *anchor)
{
    for (int props = 0; props < 2 && pos < t->len; props++) {
        if (t->text[pos] == '&' && anchor) {
            pos += 1 + strlen(anchor);
        } else if (t->text[pos] == '!') {
            while (pos < t->len && !strchr(" \t\r\n", t->text[pos]))
                pos++;
        } else {
            break;
        }
        pos = ed_skip_gap(t, pos);
    }
    return pos < t->len ? pos : t->len;
}

static size_t ed_node_new(ed_builder *b, ed_kind kind, const yaml_event_t *ev, const char *anchor)
{
    ed_tree *t = b->t;
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->nodes = sg_reallocarray(t->nodes, t->cap, sizeof *t->nodes);
    }
    size_t id = t->n++;
    ed_node *n = &t->nodes[id];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->target = ED_NONE;
    n->parent = b->depth ? b->stack[b->depth - 1] : ED_NONE;
    n->start = ed_offset(b, ev->start_mark.index);
    n->end = ed_offset(b, ev->end_mark.index);
    n->body = ed_skip_properties(t, n->start, anchor);
    if (kind != ED_MAP && kind != ED_SEQ && n->body > n->end)
        n->body = n->end;   /* an empty node: its properties are all there is */
    n->anchor = anchor ? sg_strdup(anchor) : NULL;
    /* As in the loader, a collection's anchor counts once the collection is complete. */
    if (anchor && kind != ED_MAP && kind != ED_SEQ)
        ed_anchor_define(b, n->anchor, id);
    n->line = (int)ev->start_mark.line + 1 + b->first_line;
    n->doc = b->docno;
    if (n->parent == ED_NONE) {
        t->docs[t->ndocs - 1].root = id;
        return id;
    }
    ed_node *p = &t->nodes[n->parent];
    if (p->nkids == p->capkids) {
        p->capkids = p->capkids ? p->capkids * 2 : 4;
        p->kids = sg_reallocarray(p->kids, p->capkids, sizeof *p->kids);
    }
    p->kids[p->nkids++] = id;
    return id;
}

/* Whether node `id` is a mapping key (the odd kid of a map, counting from one). */
static bool ed_is_key(const ed_tree *t, size_t id)
{
    const ed_node *n = &t->nodes[id];
    return n->parent != ED_NONE && t->nodes[n->parent].kind == ED_MAP && t->nodes[n->parent].nkids % 2 == 1;
}

/* The text the loader gives a scalar key (a string as written, else the resolved value's key form). */
static char *ed_key_text(const char *text, size_t len, const char *tag, bool plain)
{
    if (!tag && (!plain || doc_yaml_plain_is_string(text, len)))
        return memchr(text, '\0', len) ? NULL : sg_strndup(text, len);
    const char *why;
    json_t *v = doc_yaml_scalar(text, len, tag, plain, &why);
    char *key = v ? doc_yaml_key_text(v) : NULL;
    json_decref(v);
    return key;
}

static void ed_on_scalar(ed_builder *b, const yaml_event_t *ev)
{
    size_t id = ed_node_new(b, ED_SCALAR, ev, (const char *)ev->data.scalar.anchor);
    ed_node *n = &b->t->nodes[id];
    const char *text = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    yaml_scalar_style_t style = ev->data.scalar.style;
    bool plain = style == YAML_PLAIN_SCALAR_STYLE;
    n->quote = plain                                 ? ED_PLAIN
               : style == YAML_SINGLE_QUOTED_SCALAR_STYLE ? ED_SINGLE
               : style == YAML_DOUBLE_QUOTED_SCALAR_STYLE ? ED_DOUBLE
                                                          : ED_BLOCK;
    n->empty = plain && len == 0 && n->start == n->end;
    if (ed_is_key(b->t, id)) {
        n->merge = doc_yaml_is_merge_key(text, len, tag, plain);
        n->key = ed_key_text(text, len, tag, plain);
    }
}

static void ed_on_alias(ed_builder *b, const yaml_event_t *ev)
{
    size_t id = ed_node_new(b, ED_ALIAS, ev, NULL);
    size_t target = ed_anchor_find(b, (const char *)ev->data.alias.anchor);
    b->t->nodes[id].target = target;
    if (target != ED_NONE)
        b->t->nodes[target].aliases++;
}

static void ed_on_start(ed_builder *b, const yaml_event_t *ev, bool map)
{
    const yaml_char_t *anchor = map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    size_t id = ed_node_new(b, map ? ED_MAP : ED_SEQ, ev, (const char *)anchor);
    ed_node *n = &b->t->nodes[id];
    n->flow = map ? ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                  : ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
    if (b->depth == b->stackcap) {
        b->stackcap = b->stackcap ? b->stackcap * 2 : 16;
        b->stack = sg_reallocarray(b->stack, b->stackcap, sizeof *b->stack);
    }
    b->stack[b->depth++] = id;
}

static void ed_on_end(ed_builder *b, const yaml_event_t *ev)
{
    size_t id = b->stack[--b->depth];
    ed_node *n = &b->t->nodes[id];
    if (n->flow)
        n->end = ed_offset(b, ev->end_mark.index);
    else
        n->end = n->nkids ? b->t->nodes[n->kids[n->nkids - 1]].end : n->body;
    if (n->anchor)
        ed_anchor_define(b, n->anchor, id);
}

static void ed_on_document(ed_builder *b)
{
    ed_tree *t = b->t;
    t->docs = sg_reallocarray(t->docs, t->ndocs + 1, sizeof *t->docs);
    t->docs[t->ndocs++] = (ed_doc){++b->docno, ED_NONE};
    ed_anchors_clear(b);
}

static void ed_on_event(ed_builder *b, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT: ed_on_document(b); break;
    case YAML_SCALAR_EVENT: ed_on_scalar(b, ev); break;
    case YAML_ALIAS_EVENT: ed_on_alias(b, ev); break;
    case YAML_MAPPING_START_EVENT: ed_on_start(b, ev, true); break;
    case YAML_SEQUENCE_START_EVENT: ed_on_start(b, ev, false); break;
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT: ed_on_end(b, ev); break;
    default: break;
    }
}

int ed_tree_init(ed_tree *t, const char *name, const char *text, size_t len, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->text = text;
    t->len = len;
    if (len >= 2 && ((unsigned char)text[0] == 0xFF || (unsigned char)text[0] == 0xFE))
        return sg_err(err, errlen, "%s: is UTF-16; scoregate edits UTF-8 text only (convert it first)", name);
    return 0;
}

int ed_tree_add(ed_tree *t, const char *name, size_t from, size_t to, int *docno, char *err, size_t errlen)
{
    ed_builder b = {.t = t, .from = from, .to = to, .docno = *docno};
    for (size_t i = 0; i < from; i++)
        b.first_line += t->text[i] == '\n';
    ed_marks_build(&b);
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        sg_oom();
    yaml_parser_set_input_string(&parser, (const unsigned char *)t->text + from, to - from);
    int rc = 0;
    for (bool done = false; !done && rc == 0;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            if (parser.error == YAML_MEMORY_ERROR)
                sg_oom();
            rc = sg_err(err, errlen, "%s: line %d: %s", name, (int)parser.problem_mark.line + 1 + b.first_line,
                        parser.problem ? parser.problem : "invalid YAML");
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        ed_on_event(&b, &ev);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    free(b.marks);
    free(b.stack);
    free(b.anchors);
    *docno = b.docno;
    return rc;
}

void ed_tree_free(ed_tree *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->nodes[i].kids);
        free(t->nodes[i].anchor);
        free(t->nodes[i].key);
    }
    free(t->nodes);
    free(t->docs);
    memset(t, 0, sizeof *t);
}

size_t ed_npairs(const ed_tree *t, size_t m)
{
    return t->nodes[m].nkids / 2;
}

size_t ed_pair_key(const ed_tree *t, size_t m, size_t i)
{
    return t->nodes[m].kids[2 * i];
}

size_t ed_pair_value(const ed_tree *t, size_t m, size_t i)
{
    return 2 * i + 1 < t->nodes[m].nkids ? t->nodes[m].kids[2 * i + 1] : ED_NONE;
}

size_t ed_own_pair(const ed_tree *t, size_t m, const char *key)
{
    for (size_t i = 0; i < ed_npairs(t, m); i++) {
        const ed_node *k = &t->nodes[ed_pair_key(t, m, i)];
        if (!k->merge && k->key && !strcmp(k->key, key))
            return i;
    }
    return ED_NONE;
}

/* Follow an alias to the node it names. */
static size_t ed_resolve(const ed_tree *t, size_t n)
{
    return n != ED_NONE && t->nodes[n].kind == ED_ALIAS ? t->nodes[n].target : n;
}

static bool ed_merged_within(const ed_tree *t, size_t m, const char *key, int depth);

/* Whether map `m` has `key`, its own or merged (bounded: merges nest at most SG_MAX_DEPTH deep). */
static bool ed_map_has(const ed_tree *t, size_t m, const char *key, int depth)
{
    m = ed_resolve(t, m);
    if (m == ED_NONE || t->nodes[m].kind != ED_MAP || depth > SG_MAX_DEPTH)
        return false;
    return ed_own_pair(t, m, key) != ED_NONE || ed_merged_within(t, m, key, depth);
}

/* Whether a merge key of map `m` brings `key`, from a mapping or a sequence of mappings. */
static bool ed_merged_within(const ed_tree *t, size_t m, const char *key, int depth)
{
    for (size_t i = 0; i < ed_npairs(t, m); i++) {
        if (!t->nodes[ed_pair_key(t, m, i)].merge)
            continue;
        size_t v = ed_resolve(t, ed_pair_value(t, m, i));
        if (v != ED_NONE && t->nodes[v].kind == ED_SEQ) {
            for (size_t k = 0; k < t->nodes[v].nkids; k++)
                if (ed_map_has(t, t->nodes[v].kids[k], key, depth + 1))
                    return true;
        } else if (ed_map_has(t, v, key, depth + 1)) {
            return true;
        }
    }
    return false;
}

bool ed_merged_has(const ed_tree *t, size_t m, const char *key)
{
    return ed_merged_within(t, m, key, 0);
}
