/*
 * json_load.c - the JSON fast path of sg_yaml_load.
 *
 * `kubectl get -o json` output and AdmissionReview-style files are JSON;
 * jansson reads them several times faster than libyaml. jansson keeps no
 * positions, so after it has accepted a document we walk the text once more
 * alongside the tree it built (objects keep insertion order, and duplicate
 * keys are rejected, so text and tree visit nodes in the same order) and
 * record each node's and key's line. The same walk enforces SG_MAX_DEPTH and
 * SG_MAX_NODES (a cheap count before jansson runs keeps its memory within
 * that budget). Anything jansson does not accept (a typo, a YAML flow
 * mapping such as {a: 1}, a number beyond int64) goes back to the YAML
 * reader, which accepts JSON too and reports errors with lines.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct doc_jscan {
    const char *p, *end;
    int line;
    sg_linemap *lines;
    size_t nodes;
    const char *name;
    int docno;
    char *err;
    size_t errlen;
    bool mismatch;     /* text and tree disagree: let the YAML reader do it */
} doc_jscan;

__attribute__((format(printf, 2, 3)))
static int doc_jfail(doc_jscan *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    doc_verr(s->err, s->errlen, s->name, s->docno, s->line, fmt, ap);
    va_end(ap);
    return -1;
}

static void doc_jws(doc_jscan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' || *s->p == '\n')) {
        if (*s->p == '\n')
            s->line++;
        s->p++;
    }
}

/* Skip a string token; returns false when the text is not at one. */
static bool doc_jskip_string(doc_jscan *s, const char **start, size_t *len, bool *escaped)
{
    if (s->p >= s->end || *s->p != '"')
        return false;
    s->p++;
    *start = s->p;
    *escaped = false;
    while (s->p < s->end && *s->p != '"') {
        if (*s->p == '\\') {
            *escaped = true;
            s->p++;
        }
        s->p++;
    }
    if (s->p >= s->end)
        return false;
    *len = (size_t)(s->p - *start);
    s->p++;
    return true;
}

static bool doc_jexpect(doc_jscan *s, char c)
{
    doc_jws(s);
    if (s->p >= s->end || *s->p != c)
        return false;
    s->p++;
    return true;
}

static int doc_jscan_value(doc_jscan *s, json_t *node, int depth);

static int doc_jscan_object(doc_jscan *s, json_t *node, int depth)
{
    s->p++;
    bool first = true;
    for (void *it = json_object_iter(node); it; it = json_object_iter_next(node, it)) {
        if (!first && !doc_jexpect(s, ','))
            goto mismatch;
        first = false;
        doc_jws(s);
        const char *key = json_object_iter_key(it);
        const char *text;
        size_t len;
        bool escaped;
        int line = s->line;
        if (!doc_jskip_string(s, &text, &len, &escaped))
            goto mismatch;
        if (!escaped && (strlen(key) != len || memcmp(key, text, len) != 0))
            goto mismatch;
        doc_linemap_set_member(s->lines, node, key, line);
        if (!doc_jexpect(s, ':'))
            goto mismatch;
        if (doc_jscan_value(s, json_object_iter_value(it), depth + 1) != 0)
            return -1;
    }
    if (!doc_jexpect(s, '}'))
        goto mismatch;
    return 0;
mismatch:
    s->mismatch = true;
    return -1;
}

static int doc_jscan_array(doc_jscan *s, json_t *node, int depth)
{
    s->p++;
    size_t i;
    json_t *value;
    json_array_foreach(node, i, value) {
        if (i > 0 && !doc_jexpect(s, ',')) {
            s->mismatch = true;
            return -1;
        }
        if (doc_jscan_value(s, value, depth + 1) != 0)
            return -1;
    }
    if (!doc_jexpect(s, ']')) {
        s->mismatch = true;
        return -1;
    }
    return 0;
}

static int doc_jscan_value(doc_jscan *s, json_t *node, int depth)
{
    doc_jws(s);
    if (++s->nodes > SG_MAX_NODES)
        return doc_jfail(s, "more than %u nodes; the input is too large", (unsigned)SG_MAX_NODES);
    doc_linemap_set_node(s->lines, node, s->line);
    if (s->p >= s->end) {
        s->mismatch = true;
        return -1;
    }
    if (json_is_object(node) || json_is_array(node)) {
        if (depth > SG_MAX_DEPTH)
            return doc_jfail(s, "nesting deeper than %d levels", SG_MAX_DEPTH);
        if (*s->p != (json_is_object(node) ? '{' : '[')) {
            s->mismatch = true;
            return -1;
        }
        return json_is_object(node) ? doc_jscan_object(s, node, depth) : doc_jscan_array(s, node, depth);
    }
    if (json_is_string(node)) {
        const char *text;
        size_t len;
        bool escaped;
        if (!doc_jskip_string(s, &text, &len, &escaped)) {
            s->mismatch = true;
            return -1;
        }
        return 0;
    }
    while (s->p < s->end && !strchr(" \t\r\n,]}", *s->p))
        s->p++;
    return 0;
}

/*
 * An upper bound on the values in JSON text: every value but the first of
 * each document follows a ',' or opens a container. Checked before jansson
 * runs, so that 64 MB of "[0,0,0,..." is not built as 32M nodes first.
 */
static size_t doc_json_value_bound(const char *p, const char *end)
{
    size_t n = 1;
    while (p < end) {
        char c = *p++;
        if (c == '"') {
            while (p < end && *p != '"')
                p += *p == '\\' ? 2 : 1;
            p++;
        } else if (c == ',' || c == '[' || c == '{') {
            n++;
        }
    }
    return n;
}

int doc_json_load(const char *name, const char *data, size_t len, json_t **docs,
                 int **doc_numbers, sg_linemap **lines, char *err, size_t errlen)
{
    doc_jscan s = {.p = data, .end = data + len, .line = 1, .name = name, .err = err, .errlen = errlen};
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        s.p += 3;
    json_t *out = sg_check_alloc(json_array());
    s.lines = doc_linemap_new();
    int *numbers = NULL;
    size_t cap = 0;
    int rc = 1;
    /* Too many nodes: the YAML reader counts exactly and says where it stopped. */
    if (doc_json_value_bound(s.p, s.end) > SG_MAX_NODES)
        goto done;
    for (;;) {
        doc_jws(&s);
        if (s.p >= s.end)
            break;
        if (*s.p != '{' && *s.p != '[')
            goto done;
        json_error_t jerr;
        const char *start = s.p;
        json_t *doc = json_loadb(start, (size_t)(s.end - start),
                                 JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &jerr);
        if (!doc || jerr.position <= 0 || (size_t)jerr.position > (size_t)(s.end - start)) {
            json_decref(doc);
            goto done;
        }
        s.docno++;
        if (doc_jscan_value(&s, doc, 1) != 0 || s.p != start + jerr.position) {
            json_decref(doc);
            if (s.mismatch || s.p != start + jerr.position)
                goto done;
            rc = -1;
            goto done;
        }
        if ((size_t)s.docno > cap) {
            cap = cap ? cap * 2 : 4;
            numbers = sg_reallocarray(numbers, cap, sizeof(*numbers));
        }
        numbers[s.docno - 1] = s.docno;
        if (json_array_append_new(out, doc) != 0)
            sg_oom();
    }
    if (doc_numbers && !numbers)
        numbers = sg_calloc(1, sizeof(int));
    rc = 0;
    *docs = out;
    out = NULL;
    if (doc_numbers) {
        *doc_numbers = numbers;
        numbers = NULL;
    }
    if (lines) {
        *lines = s.lines;
        s.lines = NULL;
    }
done:
    json_decref(out);
    sg_linemap_free(s.lines);
    free(numbers);
    return rc;
}
