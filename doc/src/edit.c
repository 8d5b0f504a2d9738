/*
 * edit.c - sg_edit (doc.h): a stream opened for minimal edits.
 *
 * Why text splicing on libyaml's marks rather than a comment-preserving YAML
 * library: there is none in C (libyaml drops comments and styles when it
 * emits), and a round trip through any emitter re-indents, re-quotes and
 * reflows what it does not understand. Splicing changes only the bytes of
 * the values that change and leaves every other byte alone by construction;
 * the cost is that new text must be written in the style around it, and
 * every result is read back and compared with the values asked for, so a
 * splice that would mean anything else is refused instead of written.
 *
 * The loader's documents (sg_yaml_load) are the values being edited; the
 * source tree (edit_tree.c) says where each node is written. A JSON stream
 * of several documents ({...} {...}) is not YAML, so each JSON document is
 * read into the tree on its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edit_internal.h"
#include "internal.h"

struct sg_edit {
    char *name;
    char *text;
    size_t len;
    json_t *docs;          /* the values as the sg_edit_set() calls left them */
    int *numbers;          /* the document number of each of docs */
    bool json;
    ed_tree tree;
    ed_style style;
    ed_changes changes;
};

/* The end of the JSON value starting at `pos` ('{' or '['), or `len` when unterminated. */
static size_t ed_json_value_end(const char *s, size_t pos, size_t len)
{
    int depth = 0;
    bool in_string = false;
    for (; pos < len; pos++) {
        char c = s[pos];
        if (in_string) {
            if (c == '\\')
                pos++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if ((c == '}' || c == ']') && --depth == 0) {
            return pos + 1;
        }
    }
    return len;
}

/* Each JSON document of a JSON stream into the tree, numbered as the loader numbers them. */
static int ed_read_json(sg_edit *e, char *err, size_t errlen)
{
    int docno = 0;
    size_t pos = 0;
    if (e->len >= 3 && !memcmp(e->text, "\xEF\xBB\xBF", 3))
        pos = 3;
    for (;;) {
        while (pos < e->len && strchr(" \t\r\n", e->text[pos]))
            pos++;
        if (pos >= e->len)
            return 0;
        size_t end = ed_json_value_end(e->text, pos, e->len);
        if (ed_tree_add(&e->tree, e->name, pos, end, &docno, err, errlen) < 0)
            return -1;
        pos = end;
    }
}

/* The line of the first line break other than LF and CRLF (a lone CR, NEL, LS, PS), or of a byte order
 * mark after the start, or 0. YAML reads the first as line breaks and skips the second at a line's start;
 * the editor's lines and columns count LF-terminated bytes. */
static int ed_odd_break(const char *s, size_t len)
{
    int line = 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c == '\r' && (i + 1 == len || s[i + 1] != '\n')) ||
            (c == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] == 0x85) ||
            (c == 0xE2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
             ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9)) ||
            (c == 0xEF && i > 0 && i + 2 < len && !memcmp(s + i, "\xEF\xBB\xBF", 3)))
            return line;
        line += c == '\n';
    }
    return 0;
}

int sg_edit_open(const char *name, const char *data, size_t len, sg_edit **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!name)
        name = "<input>";
    sg_edit *e = sg_calloc(1, sizeof *e);
    e->name = sg_strdup(name);
    e->text = sg_malloc(len + 1);
    memcpy(e->text, data ? data : "", len);
    e->text[len] = '\0';
    e->len = len;
    int rc = doc_json_load(name, e->text, len, &e->docs, &e->numbers, NULL, err, errlen);
    e->json = rc == 0;
    if (rc == 1)
        rc = sg_yaml_load(name, e->text, len, &e->docs, &e->numbers, NULL, err, errlen);
    int odd = rc == 0 ? ed_odd_break(e->text, len) : 0;
    if (odd)
        rc = sg_err(err, errlen, "%s: line %d: a line break other than LF or CRLF (a lone CR, NEL, LS or PS), or a "
                    "byte order mark after the start; scoregate edits text with LF or CRLF line breaks only", name,
                    odd);
    if (rc == 0)
        rc = ed_tree_init(&e->tree, name, e->text, len, err, errlen);
    if (rc == 0) {
        int docno = 0;
        rc = e->json ? ed_read_json(e, err, errlen) : ed_tree_add(&e->tree, name, 0, len, &docno, err, errlen);
    }
    if (rc != 0) {
        sg_edit_free(e);
        return -1;
    }
    ed_style_detect(&e->tree, e->json, &e->style);
    *out = e;
    return 0;
}

void sg_edit_free(sg_edit *e)
{
    if (!e)
        return;
    ed_tree_free(&e->tree);
    ed_changes_free(&e->changes);
    json_decref(e->docs);
    free(e->numbers);
    free(e->text);
    free(e->name);
    free(e);
}

bool sg_edit_changed(const sg_edit *e)
{
    return e->changes.n > 0;
}

bool sg_edit_is_json(const sg_edit *e)
{
    return e->json;
}

/* Next reference token of a JSON Pointer (RFC 6901) into `tok`; advances *p. */
static void ed_pointer_token(const char **p, ed_buf *tok)
{
    const char *s = *p + 1;
    for (; *s && *s != '/'; s++) {
        if (*s == '~' && (s[1] == '0' || s[1] == '1')) {
            ed_buf_add(tok, s[1] == '0' ? "~" : "/", 1);
            s++;
        } else {
            ed_buf_add(tok, s, 1);
        }
    }
    if (!tok->data)
        ed_buf_str(tok, "");
    *p = s;
}

/* The child `tok` of value `v` and of node `*node` (following aliases); -1 when either has none. */
static int ed_step(const ed_tree *t, const json_t **v, size_t *node, const char *tok)
{
    size_t n = *node;
    if (t->nodes[n].kind == ED_ALIAS)
        n = t->nodes[n].target;
    if (n == ED_NONE)
        return -1;
    if (json_is_object(*v) && t->nodes[n].kind == ED_MAP) {
        size_t i = ed_own_pair(t, n, tok);
        *v = json_object_get(*v, tok);
        *node = i == ED_NONE ? ED_NONE : ed_pair_value(t, n, i);
    } else if (json_is_array(*v) && t->nodes[n].kind == ED_SEQ) {
        char *end;
        unsigned long long i = strtoull(tok, &end, 10);
        bool ok = *tok && !*end && i < t->nodes[n].nkids;
        *v = ok ? json_array_get(*v, (size_t)i) : NULL;
        *node = ok ? t->nodes[n].kids[i] : ED_NONE;
    } else {
        return -1;
    }
    return *v && *node != ED_NONE ? 0 : -1;
}

/* Replace the value at `pointer` of docs[index] with a copy of `value`. */
static void ed_store(sg_edit *e, size_t index, const char *pointer, const json_t *value)
{
    json_t *copy = sg_check_alloc(json_deep_copy(value));
    if (!*pointer) {
        json_array_set_new(e->docs, index, copy);
        return;
    }
    json_t *parent = json_array_get(e->docs, index);
    const char *p = pointer;
    ed_buf tok = {0};
    for (;;) {
        ed_pointer_token(&p, &tok);
        char *name = ed_buf_take(&tok);
        if (!*p) {
            if (json_is_object(parent))
                json_object_set_new(parent, name, copy);
            else
                json_array_set_new(parent, (size_t)strtoull(name, NULL, 10), copy);
            free(name);
            return;
        }
        parent = json_is_object(parent) ? json_object_get(parent, name)
                                        : json_array_get(parent, (size_t)strtoull(name, NULL, 10));
        free(name);
    }
}

int sg_edit_set(sg_edit *e, int document, const char *pointer, const json_t *value, char *err, size_t errlen)
{
    size_t index = 0, d = 0;
    while (index < json_array_size(e->docs) && e->numbers[index] != document)
        index++;
    while (d < e->tree.ndocs && e->tree.docs[d].number != document)
        d++;
    if (index == json_array_size(e->docs) || d == e->tree.ndocs || e->tree.docs[d].root == ED_NONE)
        return sg_err(err, errlen, "%s: document %d: no such document", e->name, document);
    const json_t *old = json_array_get(e->docs, index);
    size_t node = e->tree.docs[d].root;
    const char *p = pointer ? pointer : "";
    ed_buf tok = {0};
    while (*p) {
        ed_pointer_token(&p, &tok);
        char *name = ed_buf_take(&tok);
        int rc = ed_step(&e->tree, &old, &node, name);
        free(name);
        if (rc < 0)
            return sg_err(err, errlen, "%s: document %d: nothing at %s", e->name, document, pointer);
    }
    ed_changes made = {0};
    char why[SG_ERRMAX];
    if (ed_diff(&e->tree, &e->style, node, old, value, &made, why, sizeof why) < 0) {
        ed_changes_free(&made);
        return sg_err(err, errlen, "%s: document %d, %s", e->name, document, why);
    }
    for (size_t i = 0; i < made.n; i++) {
        ed_changes_add(&e->changes, made.items[i].start, made.items[i].end, made.items[i].text);
        made.items[i].text = NULL;
    }
    ed_changes_free(&made);
    ed_store(e, index, pointer ? pointer : "", value);
    return 0;
}

static int ed_compare_changes(const void *a, const void *b)
{
    const ed_change *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Whether the edited text reads back as the documents asked for (and as JSON when the stream was). */
static int ed_verify(const sg_edit *e, const char *text, size_t len, char *err, size_t errlen)
{
    json_t *docs = NULL;
    int *numbers = NULL;
    char why[SG_ERRMAX];
    int rc = e->json ? doc_json_load(e->name, text, len, &docs, &numbers, NULL, why, sizeof why)
                     : sg_yaml_load(e->name, text, len, &docs, &numbers, NULL, why, sizeof why);
    bool same = rc == 0 && json_array_size(docs) == json_array_size(e->docs);
    for (size_t i = 0; same && i < json_array_size(docs); i++)
        same = numbers[i] == e->numbers[i] && json_equal(json_array_get(docs, i), json_array_get(e->docs, i));
    json_decref(docs);
    free(numbers);
    if (same)
        return 0;
    return sg_err(err, errlen, "%s: the edited text does not read back as the changed values (%s), so it is not "
                  "written; please report this with the file", e->name, rc == 0 ? "a value differs" : why);
}

int sg_edit_text(sg_edit *e, char **out, size_t *len, char *err, size_t errlen)
{
    *out = NULL;
    *len = 0;
    ed_changes *c = &e->changes;
    if (c->n)
        qsort(c->items, c->n, sizeof *c->items, ed_compare_changes);
    ed_buf b = {0};
    size_t pos = 0;
    for (size_t i = 0; i < c->n; i++) {
        const ed_change *ch = &c->items[i];
        if (ch->start < pos) {
            free(b.data);
            return sg_err(err, errlen, "%s: two changes overlap at byte %zu, so nothing is written", e->name,
                          ch->start);
        }
        ed_buf_add(&b, e->text + pos, ch->start - pos);
        ed_buf_str(&b, ch->text);
        pos = ch->end;
    }
    ed_buf_add(&b, e->text + pos, e->len - pos);
    size_t n = b.len;
    char *text = ed_buf_take(&b);
    if (ed_verify(e, text, n, err, errlen) < 0) {
        free(text);
        return -1;
    }
    *out = text;
    *len = n;
    return 0;
}
