/*
 * edit_diff.c - the smallest text changes that turn a node of a stream into
 * a new value: walk the old and the new value together, and where they
 * differ, change only that: a scalar's text, a key added after the last one
 * of its mapping (at the mapping's indentation), the lines of a removed key
 * or item, an item appended. Everything else stays byte for byte.
 *
 * A value that aliases share (it, or a collection around it, carries an
 * anchor that some *alias names) is not changed: the change would reach the
 * aliases too. An alias that must change becomes a copy of its new value; a
 * key that a merge key (<<) brings in is overridden by a key of the mapping's
 * own, since the mapping's keys win over merged ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edit_internal.h"

typedef struct ed_ctx {
    const ed_tree *t;
    const ed_style *s;
    ed_changes *out;
    char *err;
    size_t errlen;
} ed_ctx;

void ed_changes_add(ed_changes *c, size_t start, size_t end, char *text)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->items = sg_reallocarray(c->items, c->cap, sizeof *c->items);
    }
    c->items[c->n] = (ed_change){start, end, text, c->n};
    c->n++;
}

void ed_changes_free(ed_changes *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->items[i].text);
    free(c->items);
    *c = (ed_changes){0};
}

static void ed_put(ed_ctx *c, size_t start, size_t end, ed_buf *b)
{
    ed_changes_add(c->out, start, end, ed_buf_take(b));
}

/* A '#' right after new text would join a plain scalar; a comment needs a blank before it. */
static void ed_keep_comment(ed_ctx *c, ed_buf *b, size_t end)
{
    if (end < c->t->len && c->t->text[end] == '#')
        ed_buf_str(b, " ");
}

static int ed_walk(ed_ctx *c, size_t node, const json_t *old, const json_t *value);

/* The node, or a collection it lies in, whose anchor aliases name; ED_NONE when none. */
static size_t ed_shared(const ed_tree *t, size_t n)
{
    for (; n != ED_NONE; n = t->nodes[n].parent)
        if (t->nodes[n].aliases)
            return n;
    return ED_NONE;
}

/* A node of the subtree of `n` (n included) whose anchor aliases name, or ED_NONE. */
static size_t ed_anchor_inside(const ed_tree *t, size_t n)
{
    if (t->nodes[n].aliases)
        return n;
    for (size_t i = 0; i < t->nodes[n].nkids; i++) {
        size_t found = ed_anchor_inside(t, t->nodes[n].kids[i]);
        if (found != ED_NONE)
            return found;
    }
    return ED_NONE;
}

/* Refuse to drop the text of `n` when it defines an anchor that aliases use. */
static int ed_check_drop(ed_ctx *c, size_t n)
{
    size_t a = n == ED_NONE ? ED_NONE : ed_anchor_inside(c->t, n);
    if (a == ED_NONE)
        return 0;
    const ed_node *node = &c->t->nodes[a];
    return sg_err(c->err, c->errlen, "line %d: the text to change defines &%s, which *%s elsewhere refers to, so "
                  "that would be left without it; change it by hand", node->line, node->anchor, node->anchor);
}

/* The index of `node` among its parent's kids. */
static size_t ed_kid_index(const ed_tree *t, size_t node)
{
    const ed_node *p = &t->nodes[t->nodes[node].parent];
    for (size_t i = 0; i < p->nkids; i++)
        if (p->kids[i] == node)
            return i;
    return ED_NONE;
}

/* Indentation (spaces) of the line holding `pos`. */
static size_t ed_indent(const ed_tree *t, size_t pos)
{
    size_t i = ed_line_start(t, pos), n = 0;
    while (i + n < t->len && t->text[i + n] == ' ')
        n++;
    return n;
}

/* A new value in a flow collection: JSON spread over lines in a multi-line JSON collection, else one line. */
static void ed_put_in_flow(ed_ctx *c, ed_buf *b, size_t flow_parent, size_t at, const json_t *v)
{
    if (c->s->json && !ed_inline(v) && ed_multiline(c->t, flow_parent))
        ed_put_json(b, v, ed_indent(c->t, at), c->s);
    else
        ed_put_flow(b, v, c->s);
}

/* A scalar, {} or [] where a block value was, keeping the old scalar's quoting when it fits. */
static void ed_put_inline_value(ed_ctx *c, ed_buf *b, const ed_node *n, const json_t *v)
{
    ed_buf_str(b, " ");
    if (n->anchor) {
        ed_buf_str(b, "&");
        ed_buf_str(b, n->anchor);
        ed_buf_str(b, " ");
    }
    if (json_is_object(v) || json_is_array(v))
        ed_put_flow(b, v, c->s);
    else
        ed_put_scalar(b, v, false, n->kind == ED_SCALAR && n->quote != ED_BLOCK ? n->quote : ED_PLAIN, c->s);
}

/* Replace node `node` (not a document's root) with `v`. */
static int ed_replace(ed_ctx *c, size_t node, const json_t *v)
{
    const ed_tree *t = c->t;
    const ed_node *n = &t->nodes[node];
    if (n->parent == ED_NONE)
        return sg_err(c->err, c->errlen, "line %d: a whole document cannot be replaced", n->line);
    if (ed_check_drop(c, node) < 0)
        return -1;
    const ed_node *p = &t->nodes[n->parent];
    ed_buf b = {0};
    if (p->flow && n->empty && p->kind == ED_MAP) {
        /* {key} or {key: }: the value goes after the key's ':', written when missing. */
        size_t key = p->kids[ed_kid_index(t, node) - 1], colon = ed_colon(t, key);
        size_t at = colon == ED_NONE ? t->nodes[key].end : colon + 1;
        const ed_node *k = &t->nodes[key];
        if (colon == ED_NONE && memchr(t->text + k->start, '\n', k->end - k->start))
            return sg_err(c->err, c->errlen, "line %d: a value cannot follow a key written over several lines",
                          t->nodes[key].line);
        ed_buf_str(&b, colon == ED_NONE ? ": " : " ");
        ed_put_in_flow(c, &b, n->parent, n->body, v);
        ed_put(c, at, at, &b);
        return 0;
    }
    if (p->flow) {
        if (n->anchor) {
            ed_buf_str(&b, "&");
            ed_buf_str(&b, n->anchor);
            ed_buf_str(&b, " ");
        }
        if (n->kind == ED_SCALAR && ed_inline(v) && !c->s->json)
            ed_put_scalar(&b, v, true, n->quote == ED_BLOCK ? ED_PLAIN : n->quote, c->s);
        else
            ed_put_in_flow(c, &b, n->parent, n->body, v);
        ed_keep_comment(c, &b, n->end);
        ed_put(c, n->start, n->end, &b);
        return 0;
    }
    size_t indicator, col;
    if (p->kind == ED_MAP) {
        size_t key = p->kids[ed_kid_index(t, node) - 1];
        indicator = ed_colon(t, key);
        col = ed_column(t, t->nodes[key].body);
        if (indicator == ED_NONE)
            return sg_err(c->err, c->errlen, "line %d: the key has no ':' after it (a complex key?)", n->line);
    } else {
        indicator = ed_dash(t, n->parent, ed_kid_index(t, node));
        col = ed_column(t, indicator);
    }
    size_t end = ed_trim_back(t, indicator + 1, n->empty ? indicator + 1 : n->end);
    /* A block collection's lines go whole: a comment on its last line spoke of what goes. */
    if ((n->kind == ED_MAP || n->kind == ED_SEQ) && !n->flow)
        end = ed_line_end(t, end);
    if (ed_inline(v)) {
        ed_put_inline_value(c, &b, n, v);
        ed_keep_comment(c, &b, end);
        ed_put(c, indicator + 1, end, &b);
        return 0;
    }
    if (p->kind == ED_MAP) {
        /* "key:" keeps its line (and any comment on it); the collection's lines follow. */
        ed_style near;
        ed_style_near(t, n->parent, c->s, &near);
        if (end > indicator + 1) {
            ed_keep_comment(c, &b, end);
            ed_put(c, indicator + 1, end, &b);
        }
        ed_put_block_value(&b, v, col, &near);
        size_t at = ed_line_end(t, end);
        ed_put(c, at, at, &b);
    } else {
        ed_put_block_item(&b, v, col, c->s);
        ed_keep_comment(c, &b, end);
        ed_put(c, indicator + 1, end, &b);
    }
    return 0;
}

/* Where element `i` of a collection starts and ends (a pair: key to value). */
static size_t ed_elem_start(const ed_tree *t, size_t node, size_t i)
{
    const ed_node *n = &t->nodes[node];
    if (n->kind == ED_MAP)
        return t->nodes[ed_pair_key(t, node, i)].start;
    return n->flow ? t->nodes[n->kids[i]].start : ed_dash(t, node, i);
}

static size_t ed_elem_end(const ed_tree *t, size_t node, size_t i)
{
    const ed_node *n = &t->nodes[node];
    if (n->kind == ED_MAP) {
        size_t v = ed_pair_value(t, node, i);
        return t->nodes[v == ED_NONE ? ed_pair_key(t, node, i) : v].end;
    }
    return t->nodes[n->kids[i]].end;
}

/* Whether a block scalar that keeps its final line breaks (|+, >+) ends at `pos`. */
static bool ed_keep_scalar_ends_at(const ed_tree *t, size_t pos)
{
    for (size_t i = 0; i < t->n; i++) {
        const ed_node *n = &t->nodes[i];
        if (n->kind != ED_SCALAR || n->quote != ED_BLOCK || n->end != pos)
            continue;
        for (size_t k = n->body; k < t->len && t->text[k] != '\n'; k++)
            if (t->text[k] == '+')
                return true;
    }
    return false;
}

/* Whether the line at `pos` holds nothing but spaces. */
static bool ed_blank_line(const ed_tree *t, size_t pos)
{
    while (pos < t->len && t->text[pos] == ' ')
        pos++;
    return pos < t->len && (t->text[pos] == '\n' || t->text[pos] == '\r');
}

/* Delete whole lines [from, to): refused where a block scalar keeping its line breaks ends at `from` and
 * blank lines follow `to`, since it would take them in. */
static int ed_delete_lines(ed_ctx *c, size_t from, size_t to)
{
    if (ed_blank_line(c->t, to) && ed_keep_scalar_ends_at(c->t, from))
        return sg_err(c->err, c->errlen, "the lines to remove end a block scalar's kept line breaks (|+ or >+): "
                      "removing them would change it; change it by hand");
    ed_buf none = {0};
    ed_put(c, from, to, &none);
    return 0;
}

/* Remove the elements marked `gone` (not all of them), one run of neighbours at a time. */
static int ed_remove(ed_ctx *c, size_t node, const bool *gone, size_t count)
{
    const ed_tree *t = c->t;
    const ed_node *n = &t->nodes[node];
    bool map = n->kind == ED_MAP;
    for (size_t i = 0; i < count; i++)
        if (gone[i] && (ed_check_drop(c, map ? ed_pair_key(t, node, i) : n->kids[i]) < 0 ||
                        (map && ed_check_drop(c, ed_pair_value(t, node, i)) < 0)))
            return -1;
    for (size_t i = 0; i < count; i++) {
        if (!gone[i])
            continue;
        size_t j = i;
        while (j + 1 < count && gone[j + 1])
            j++;
        ed_buf none = {0};
        size_t first = ed_elem_start(t, node, i);
        if (n->flow && i > 0)
            ed_put(c, ed_elem_end(t, node, i - 1), ed_elem_end(t, node, j), &none);
        else if (n->flow || (i == 0 && !ed_first_on_line(t, first)))
            ed_put(c, first, ed_elem_start(t, node, j + 1), &none);
        else if (ed_delete_lines(c, ed_line_start(t, first), ed_next_line(t, ed_elem_end(t, node, j))) < 0)
            return -1;
        i = j;
    }
    return 0;
}

/* The node written last in `node` (itself when it is not a collection with elements). */
static size_t ed_last_leaf(const ed_tree *t, size_t node)
{
    while ((t->nodes[node].kind == ED_MAP || t->nodes[node].kind == ED_SEQ) && t->nodes[node].nkids)
        node = t->nodes[node].kids[t->nodes[node].nkids - 1];
    return node;
}

/* Text that follows the last element of a collection: one more element. */
static int ed_append(ed_ctx *c, size_t node, const char *key, const json_t *v)
{
    const ed_tree *t = c->t;
    const ed_node *n = &t->nodes[node];
    bool map = n->kind == ED_MAP;
    size_t count = map ? ed_npairs(t, node) : n->nkids;
    ed_buf b = {0};
    if (n->flow) {
        size_t at = ed_elem_end(t, node, count - 1), first = ed_elem_start(t, node, 0);
        bool lines = c->s->json && ed_multiline(t, node) && ed_first_on_line(t, first);
        ed_buf_str(&b, lines || (c->s->json && c->s->json_tight) ? "," : ", ");
        if (lines) {
            ed_buf_str(&b, c->s->eol);
            ed_buf_spaces(&b, ed_column(t, first));
        }
        if (map) {
            ed_put_key(&b, key, true, c->s);
            ed_buf_str(&b, c->s->json && c->s->json_tight ? ":" : ": ");
        }
        ed_put_in_flow(c, &b, node, first, v);
        ed_put(c, at, at, &b);
        return 0;
    }
    size_t first = ed_elem_start(t, node, 0), col = ed_column(t, first), at = ed_next_line(t, n->end);
    bool line_start = at > 0 && t->text[at - 1] == '\n';
    const ed_node *last = &t->nodes[ed_last_leaf(t, node)];
    if (!line_start && last->kind == ED_SCALAR && last->quote == ED_BLOCK)
        return sg_err(c->err, c->errlen, "line %d: the text ends inside a block scalar (| or >) without a final line "
                      "break, and a line added after it would change its value; end the file with a line break",
                      last->line);
    /* Lines deleted up to the end of a text without a final line break: the new one takes their place. */
    ed_change *gone = NULL;
    for (size_t i = 0; !line_start && i < c->out->n; i++) {
        ed_change *ch = &c->out->items[i];
        if (ch->end == at && !*ch->text && ch->start < at && (ch->start == 0 || t->text[ch->start - 1] == '\n'))
            gone = ch;
    }
    ed_style near;
    ed_style_near(t, node, c->s, &near);
    if (!line_start && !gone)
        ed_buf_str(&b, near.eol);
    ed_buf_spaces(&b, col);
    if (map) {
        ed_put_key(&b, key, false, &near);
        ed_buf_str(&b, ":");
        ed_put_block_value(&b, v, col, &near);
    } else {
        ed_buf_str(&b, "-");
        ed_put_block_item(&b, v, col, &near);
    }
    if (line_start)
        ed_buf_str(&b, near.eol);
    if (gone) {
        free(gone->text);
        gone->text = ed_buf_take(&b);
        return 0;
    }
    ed_put(c, at, at, &b);
    return 0;
}

/* Mark the own pairs of `m` whose keys `value` drops; -1 when one cannot go. */
static int ed_map_removals(ed_ctx *c, size_t m, const json_t *old, const json_t *value, bool *gone, size_t *left)
{
    const ed_tree *t = c->t;
    const char *key;
    const json_t *ov;
    *left = ed_npairs(t, m);
    json_object_foreach((json_t *)old, key, ov) {
        if (json_object_get(value, key))
            continue;
        size_t i = ed_own_pair(t, m, key);
        if (i == ED_NONE || ed_merged_has(t, m, key))
            return sg_err(c->err, c->errlen, "line %d: key \"%s\" comes from a merge key (<<): it cannot be "
                          "removed here", t->nodes[m].line, key);
        gone[i] = true;
        (*left)--;
    }
    return 0;
}

static int ed_diff_map(ed_ctx *c, size_t m, const json_t *old, const json_t *value)
{
    const ed_tree *t = c->t;
    size_t np = ed_npairs(t, m), left, added = 0;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)value, key, v)
        added += json_object_get(old, key) == NULL;
    bool *gone = sg_calloc(np + 1, sizeof *gone);
    int rc = ed_map_removals(c, m, old, value, gone, &left);
    /* An empty {}, one that loses keys and gains others in flow style, every key, or a single pair in a
     * flow sequence ([a: 1], no braces): written anew. */
    bool braceless = t->nodes[m].flow && t->text[t->nodes[m].body] != '{';
    if (rc == 0 && (np == 0 || left == 0 || braceless || (t->nodes[m].flow && left < np && added))) {
        free(gone);
        return ed_replace(c, m, value);
    }
    json_object_foreach((json_t *)old, key, v) {
        const json_t *nv = json_object_get(value, key);
        if (rc < 0 || !nv || json_equal(v, nv))
            continue;
        size_t i = ed_own_pair(t, m, key);
        /* A key the merge key brings is overridden by one of the mapping's own. */
        rc = i == ED_NONE ? ed_append(c, m, key, nv) : ed_walk(c, ed_pair_value(t, m, i), v, nv);
    }
    if (rc == 0 && left < np)
        rc = ed_remove(c, m, gone, np);
    json_object_foreach((json_t *)value, key, v)
        if (rc == 0 && !json_object_get(old, key))
            rc = ed_append(c, m, key, v);
    free(gone);
    return rc;
}

/* Whether `value` is `old` with some items left out; `gone` marks them. */
static bool ed_subsequence(const json_t *old, const json_t *value, bool *gone)
{
    size_t k = 0, n = json_array_size(old);
    for (size_t i = 0; i < n; i++) {
        if (k < json_array_size(value) && json_equal(json_array_get(old, i), json_array_get(value, k)))
            k++;
        else
            gone[i] = true;
    }
    return k == json_array_size(value);
}

static bool ed_prefix(const json_t *old, const json_t *value)
{
    for (size_t i = 0; i < json_array_size(old); i++)
        if (!json_equal(json_array_get(old, i), json_array_get(value, i)))
            return false;
    return true;
}

static int ed_diff_seq(ed_ctx *c, size_t s, const json_t *old, const json_t *value)
{
    size_t no = json_array_size(old), nn = json_array_size(value);
    if (no == nn) {
        for (size_t i = 0; i < no; i++)
            if (ed_walk(c, c->t->nodes[s].kids[i], json_array_get(old, i), json_array_get(value, i)) < 0)
                return -1;
        return 0;
    }
    if (no == 0 || nn == 0)
        return ed_replace(c, s, value);
    if (nn > no && ed_prefix(old, value)) {
        for (size_t i = no; i < nn; i++)
            if (ed_append(c, s, NULL, json_array_get(value, i)) < 0)
                return -1;
        return 0;
    }
    bool *gone = sg_calloc(no, sizeof *gone);
    int rc = nn < no && ed_subsequence(old, value, gone) ? ed_remove(c, s, gone, no) : ed_replace(c, s, value);
    free(gone);
    return rc;
}

static int ed_walk(ed_ctx *c, size_t node, const json_t *old, const json_t *value)
{
    if (json_equal(old, value))
        return 0;
    const ed_tree *t = c->t;
    size_t shared = ed_shared(t, node);
    if (shared != ED_NONE) {
        const ed_node *a = &t->nodes[shared];
        return sg_err(c->err, c->errlen, "line %d: the value to change lies in &%s (line %d), which *%s refers to "
                      "elsewhere, so the change would reach there too; give this place its own copy (or change it "
                      "by hand)", t->nodes[node].line, a->anchor, a->line, a->anchor);
    }
    const ed_node *n = &t->nodes[node];
    if (n->kind == ED_MAP && json_is_object(old) && json_is_object(value))
        return ed_diff_map(c, node, old, value);
    if (n->kind == ED_SEQ && json_is_array(old) && json_is_array(value))
        return ed_diff_seq(c, node, old, value);
    return ed_replace(c, node, value);
}

int ed_diff(const ed_tree *t, const ed_style *s, size_t node, const json_t *old, const json_t *value, ed_changes *out,
            char *err, size_t errlen)
{
    ed_ctx c = {t, s, out, err, errlen};
    return ed_walk(&c, node, old, value);
}
