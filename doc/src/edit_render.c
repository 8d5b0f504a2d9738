/*
 * edit_render.c - new values written in the style of the text around them:
 * block or flow YAML, or JSON for a JSON stream; the indentation step, the
 * sequence indentation and the line breaks the stream already uses; strings
 * plain where they read back as the same string, else quoted (keeping the
 * quoting of the value they replace when it can carry the new one).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edit_internal.h"
#include "internal.h"

void ed_buf_add(ed_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->data = sg_realloc(b->data, b->cap);
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void ed_buf_str(ed_buf *b, const char *s)
{
    ed_buf_add(b, s, strlen(s));
}

void ed_buf_spaces(ed_buf *b, size_t n)
{
    for (; n; n--)
        ed_buf_add(b, " ", 1);
}

char *ed_buf_take(ed_buf *b)
{
    char *s = b->data ? b->data : sg_strdup("");
    *b = (ed_buf){0};
    return s;
}

/* ---------- style ---------- */

/* The column of the key whose value node `n` is, or ED_NONE. */
static size_t ed_key_column(const ed_tree *t, size_t n)
{
    size_t p = t->nodes[n].parent;
    if (p == ED_NONE || t->nodes[p].kind != ED_MAP)
        return ED_NONE;
    for (size_t i = 0; i < ed_npairs(t, p); i++)
        if (ed_pair_value(t, p, i) == n)
            return ed_column(t, t->nodes[ed_pair_key(t, p, i)].body);
    return ED_NONE;
}

static void ed_detect_yaml(const ed_tree *t, ed_style *s)
{
    bool step = false, seq = false;
    for (size_t i = 0; i < t->n && !(step && seq); i++) {
        const ed_node *n = &t->nodes[i];
        size_t key = (n->kind == ED_MAP || n->kind == ED_SEQ) && !n->flow && n->nkids ? ed_key_column(t, i) : ED_NONE;
        if (key == ED_NONE || ed_first_on_line(t, n->body) == false)
            continue;
        size_t col = ed_column(t, n->body);
        if (n->kind == ED_MAP && !step && col > key) {
            s->step = col - key;
            step = true;
        } else if (n->kind == ED_SEQ && !seq && col >= key) {
            s->seq_indent = col - key;
            seq = true;
        }
    }
}

static void ed_detect_json(const ed_tree *t, ed_style *s)
{
    bool step = false, tight = false;
    for (size_t i = 0; i < t->n && !(step && tight); i++) {
        const ed_node *n = &t->nodes[i];
        if (n->kind != ED_MAP || !n->flow || !n->nkids)
            continue;
        const ed_node *key = &t->nodes[n->kids[0]];
        if (!tight) {
            size_t colon = ed_colon(t, n->kids[0]);
            s->json_tight = colon != ED_NONE && colon + 1 < t->len && t->text[colon + 1] != ' ';
            tight = true;
        }
        size_t line = ed_line_start(t, n->body), indent = 0;
        while (t->text[line + indent] == ' ')
            indent++;
        if (!step && ed_multiline(t, i) && ed_first_on_line(t, key->body) && ed_column(t, key->body) > indent) {
            s->step = ed_column(t, key->body) - indent;
            step = true;
        }
    }
}

void ed_style_near(const ed_tree *t, size_t m, const ed_style *in, ed_style *out)
{
    *out = *in;
    if (in->json || t->nodes[m].kind != ED_MAP || t->nodes[m].flow)
        return;
    bool step = false, seq = false;
    for (size_t i = 0; i < ed_npairs(t, m) && !(step && seq); i++) {
        size_t v = ed_pair_value(t, m, i);
        const ed_node *n = v == ED_NONE ? NULL : &t->nodes[v];
        if (!n || n->flow || (n->kind != ED_MAP && n->kind != ED_SEQ) || !ed_first_on_line(t, n->body))
            continue;
        size_t key = ed_column(t, t->nodes[ed_pair_key(t, m, i)].body), col = ed_column(t, n->body);
        if (n->kind == ED_MAP && !step && col > key) {
            out->step = col - key;
            step = true;
        } else if (n->kind == ED_SEQ && !seq && col >= key) {
            out->seq_indent = col - key;
            seq = true;
        }
    }
}

void ed_style_detect(const ed_tree *t, bool json, ed_style *s)
{
    *s = (ed_style){.json = json, .eol = "\n", .step = 2, .seq_indent = 0};
    const char *nl = memchr(t->text, '\n', t->len);
    if (nl && nl > t->text && nl[-1] == '\r')
        s->eol = "\r\n";
    if (json)
        ed_detect_json(t, s);
    else
        ed_detect_yaml(t, s);
}

/* ---------- scalars ---------- */

/* Whether `s` may be written plain (it reads back as this very string). */
static bool ed_plain_ok(const char *s, size_t n, bool flow)
{
    if (n == 0 || !doc_yaml_plain_is_string(s, n) || doc_yaml_is_merge_key(s, n, NULL, true))
        return false;
    if (strchr(",[]{}#&*!|>'\"%@`. ", s[0]) || s[n - 1] == ' ' || s[n - 1] == ':')
        return false;
    /* "-x", "?x", ":x" start a plain scalar in block context; in flow context libyaml takes the ':' as
     * a value indicator, so there they are quoted. */
    if (strchr("-?:", s[0]) && (n == 1 || s[1] == ' ' || flow))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f || (flow && strchr(",[]{}", c)))
            return false;
        if ((c == ':' && i + 1 < n && s[i + 1] == ' ') || (c == '#' && i > 0 && s[i - 1] == ' '))
            return false;
    }
    return true;
}

/* A character YAML would read as a line break or drop (NEL, LS, PS, BOM) needs an escape. */
static bool ed_special_char(const unsigned char *p, size_t n)
{
    return (n == 2 && p[0] == 0xC2 && p[1] == 0x85) ||
           (n == 3 && p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) ||
           (n == 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF);
}

static void ed_put_double(ed_buf *b, const char *s, size_t n)
{
    ed_buf_add(b, "\"", 1);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t w = c >= 0x80 ? sg_utf8_char(s + i, n - i) : 1;
        char esc[16];
        if (c == '"' || c == '\\') {
            snprintf(esc, sizeof esc, "\\%c", c);
        } else if (c == '\n' || c == '\t') {
            snprintf(esc, sizeof esc, "\\%c", c == '\n' ? 'n' : 't');
        } else if (c < 0x20 || c == 0x7f || w == 0) {
            snprintf(esc, sizeof esc, "\\x%02x", c);
            w = 1;
        } else if (ed_special_char((const unsigned char *)s + i, w)) {
            unsigned cp = w == 2 ? 0x85 : ((unsigned)(s[i] & 0x0F) << 12) | ((unsigned)(s[i + 1] & 0x3F) << 6) |
                                               (unsigned)(s[i + 2] & 0x3F);
            snprintf(esc, sizeof esc, "\\u%04x", cp);
        } else {
            ed_buf_add(b, s + i, w);
            i += w;
            continue;
        }
        ed_buf_str(b, esc);
        i += w;
    }
    ed_buf_add(b, "\"", 1);
}

/* Single quotes carry printable text on one line. */
static bool ed_single_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t w = c >= 0x80 ? sg_utf8_char(s + i, n - i) : 1;
        if (c < 0x20 || c == 0x7f || w == 0 || ed_special_char((const unsigned char *)s + i, w))
            return false;
        i += w;
    }
    return true;
}

static void ed_put_single(ed_buf *b, const char *s, size_t n)
{
    ed_buf_add(b, "'", 1);
    for (size_t i = 0; i < n; i++)
        ed_buf_add(b, s + i, 1 + (s[i] == '\''));   /* '' stands for ' */
    ed_buf_add(b, "'", 1);
}

static void ed_put_json_text(ed_buf *b, const json_t *v, size_t flags)
{
    char *text = sg_json_dumps(v, JSON_ENCODE_ANY | flags, NULL);
    if (!text)
        sg_oom();
    ed_buf_str(b, text);
    free(text);
}

void ed_put_scalar(ed_buf *b, const json_t *v, bool flow, ed_quote quote, const ed_style *s)
{
    if (s->json || !json_is_string(v)) {
        ed_put_json_text(b, v, JSON_COMPACT);
        return;
    }
    const char *text = json_string_value(v);
    size_t n = json_string_length(v);
    if (quote == ED_SINGLE && ed_single_ok(text, n))
        ed_put_single(b, text, n);
    else if (quote != ED_DOUBLE && ed_plain_ok(text, n, flow))
        ed_buf_add(b, text, n);
    else
        ed_put_double(b, text, n);
}

void ed_put_key(ed_buf *b, const char *key, bool flow, const ed_style *s)
{
    json_t *k = sg_check_alloc(json_string(key));
    ed_put_scalar(b, k, flow, ED_PLAIN, s);
    json_decref(k);
}

/* ---------- collections ---------- */

void ed_put_flow(ed_buf *b, const json_t *v, const ed_style *s)
{
    if (s->json) {
        ed_put_json_text(b, v, s->json_tight ? JSON_COMPACT : 0);
        return;
    }
    const char *key;
    const json_t *item;
    size_t i = 0;
    if (json_is_object(v)) {
        ed_buf_str(b, "{");
        json_object_foreach((json_t *)v, key, item) {
            ed_buf_str(b, i++ ? ", " : "");
            ed_put_key(b, key, true, s);
            ed_buf_str(b, ": ");
            ed_put_flow(b, item, s);
        }
        ed_buf_str(b, "}");
    } else if (json_is_array(v)) {
        ed_buf_str(b, "[");
        json_array_foreach(v, i, item) {
            ed_buf_str(b, i ? ", " : "");
            ed_put_flow(b, item, s);
        }
        ed_buf_str(b, "]");
    } else {
        ed_put_scalar(b, v, true, ED_PLAIN, s);
    }
}

void ed_put_json(ed_buf *b, const json_t *v, size_t col, const ed_style *s)
{
    char *text = sg_json_dumps(v, JSON_ENCODE_ANY | JSON_INDENT(s->step) | (s->json_tight ? JSON_COMPACT : 0), NULL);
    if (!text)
        sg_oom();
    for (const char *p = text; *p; p++) {
        if (*p != '\n') {
            ed_buf_add(b, p, 1);
            continue;
        }
        ed_buf_str(b, s->eol);
        ed_buf_spaces(b, col);
    }
    free(text);
}

bool ed_inline(const json_t *v)
{
    return !(json_is_object(v) && json_object_size(v)) && !(json_is_array(v) && json_array_size(v));
}

/* " value" for a scalar, {} or [] in block context (true), or nothing (false: a collection with content). */
static bool ed_put_inline(ed_buf *b, const json_t *v, const ed_style *s)
{
    if (!ed_inline(v))
        return false;
    ed_buf_str(b, " ");
    if (json_is_object(v))
        ed_buf_str(b, "{}");
    else if (json_is_array(v))
        ed_buf_str(b, "[]");
    else
        ed_put_scalar(b, v, false, ED_PLAIN, s);
    return true;
}

void ed_put_block_value(ed_buf *b, const json_t *v, size_t col, const ed_style *s)
{
    if (ed_put_inline(b, v, s))
        return;
    const char *key;
    const json_t *item;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, item) {
            ed_buf_str(b, s->eol);
            ed_buf_spaces(b, col + s->step);
            ed_put_key(b, key, false, s);
            ed_buf_str(b, ":");
            ed_put_block_value(b, item, col + s->step, s);
        }
        return;
    }
    json_array_foreach(v, i, item) {
        ed_buf_str(b, s->eol);
        ed_buf_spaces(b, col + s->seq_indent);
        ed_buf_str(b, "-");
        ed_put_block_item(b, item, col + s->seq_indent, s);
    }
}

void ed_put_block_item(ed_buf *b, const json_t *v, size_t col, const ed_style *s)
{
    if (ed_put_inline(b, v, s))
        return;
    const char *key;
    const json_t *item;
    size_t i = 0;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, item) {
            if (i++) {
                ed_buf_str(b, s->eol);
                ed_buf_spaces(b, col + 2);
            } else {
                ed_buf_str(b, " ");
            }
            ed_put_key(b, key, false, s);
            ed_buf_str(b, ":");
            ed_put_block_value(b, item, col + 2, s);
        }
        return;
    }
    json_array_foreach(v, i, item) {
        if (i) {
            ed_buf_str(b, s->eol);
            ed_buf_spaces(b, col + 2);
            ed_buf_str(b, "-");
        } else {
            ed_buf_str(b, " -");
        }
        ed_put_block_item(b, item, col + 2, s);
    }
}
