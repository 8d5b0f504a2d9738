/*
 * json_text.c - JSON text written straight into a buffer, for what the
 * webhook writes once per review and never reads back as a tree: the log
 * line (log.c) and the dashboard's recent decisions (decisions.c). Strings
 * come out in ASCII, escaped as jansson's JSON_ENSURE_ASCII escapes them, so
 * the text is valid JSON whatever the bytes; reals with three decimals (a
 * latency in milliseconds reads 0.235, not 0.23499999999999999). Building a
 * tree and encoding it through jansson cost a tenth of a review.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void wh_jbuf_init(wh_jbuf *b)
{
    b->data = b->small;
    b->len = 0;
    b->cap = sizeof b->small;
}

void wh_jbuf_free(wh_jbuf *b)
{
    if (b->data != b->small)
        free(b->data);
}

char *wh_jbuf_take(wh_jbuf *b)
{
    char *out = sg_malloc(b->len + 1);
    memcpy(out, b->data, b->len);
    out[b->len] = '\0';
    wh_jbuf_free(b);
    wh_jbuf_init(b);
    return out;
}

void wh_jbuf_put(wh_jbuf *b, const char *s, size_t n)
{
    if (n > b->cap - b->len) {
        size_t cap = b->cap * 2 > b->len + n ? b->cap * 2 : b->len + n + 256;
        char *grown = sg_malloc(cap);
        memcpy(grown, b->data, b->len);
        if (b->data != b->small)
            free(b->data);
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

void wh_jbuf_char(wh_jbuf *b, char c)
{
    wh_jbuf_put(b, &c, 1);
}

void wh_jbuf_string(wh_jbuf *b, const char *s, size_t n, size_t max)
{
    bool cut = max && n > max;
    if (cut) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    wh_jbuf_char(b, '"');
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        const unsigned char *run = p;
        while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            p++;
        wh_jbuf_put(b, (const char *)run, (size_t)(p - run));
        if (p >= end)
            break;
        char seq[16];
        unsigned c = *p;
        if (c == '"' || c == '\\') {
            seq[0] = '\\';
            seq[1] = (char)c;
            wh_jbuf_put(b, seq, 2);
            p++;
            continue;
        }
        if (c < 0x20) {
            const char *named = c == '\b' ? "\\b" : c == '\f' ? "\\f" : c == '\n' ? "\\n" : c == '\r' ? "\\r"
                                : c == '\t' ? "\\t" : NULL;
            if (named)
                wh_jbuf_put(b, named, 2);
            else
                wh_jbuf_put(b, seq, (size_t)snprintf(seq, sizeof seq, "\\u%04X", c));
            p++;
            continue;
        }
        size_t len = sg_utf8_char((const char *)p, (size_t)(end - p));
        unsigned cp;
        if (len == 2)
            cp = (c & 0x1Fu) << 6 | (p[1] & 0x3Fu);
        else if (len == 3)
            cp = (c & 0x0Fu) << 12 | (p[1] & 0x3Fu) << 6 | (p[2] & 0x3Fu);
        else if (len == 4)
            cp = (c & 0x07u) << 18 | (p[1] & 0x3Fu) << 12 | (p[2] & 0x3Fu) << 6 | (p[3] & 0x3Fu);
        else { /* U+FFFE, U+FFFF (valid in JSON, refused by sg_utf8_char) or a byte jansson would not hold */
            len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            if (len > (size_t)(end - p))
                len = (size_t)(end - p);
            cp = len == 3 && len <= (size_t)(end - p) ? ((c & 0x0Fu) << 12 | (p[1] & 0x3Fu) << 6 | (p[2] & 0x3Fu))
                                                      : 0xFFFDu;
        }
        if (cp < 0x10000) {
            wh_jbuf_put(b, seq, (size_t)snprintf(seq, sizeof seq, "\\u%04X", cp));
        } else {
            cp -= 0x10000;
            wh_jbuf_put(b, seq, (size_t)snprintf(seq, sizeof seq, "\\u%04X\\u%04X", 0xD800 | (cp >> 10), 0xDC00 | (cp & 0x3FF)));
        }
        p += len;
    }
    if (cut)
        wh_jbuf_put(b, "\\u2026", 6);
    wh_jbuf_char(b, '"');
}

void wh_jbuf_value(wh_jbuf *b, const json_t *v, size_t max)
{
    const char *key;
    const json_t *item;
    size_t i;
    char num[64];
    switch (json_typeof(v)) {
    case JSON_REAL:
        wh_jbuf_put(b, num, (size_t)snprintf(num, sizeof num, "%.3f", json_real_value(v)));
        return;
    case JSON_INTEGER:
        wh_jbuf_put(b, num, (size_t)snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v)));
        return;
    case JSON_STRING:
        wh_jbuf_string(b, json_string_value(v), json_string_length(v), max);
        return;
    case JSON_TRUE:
        wh_jbuf_put(b, "true", 4);
        return;
    case JSON_FALSE:
        wh_jbuf_put(b, "false", 5);
        return;
    case JSON_NULL:
        wh_jbuf_put(b, "null", 4);
        return;
    case JSON_OBJECT:
        wh_jbuf_char(b, '{');
        i = 0;
        json_object_foreach((json_t *)v, key, item) {
            if (i++)
                wh_jbuf_char(b, ',');
            wh_jbuf_string(b, key, strlen(key), 0);
            wh_jbuf_char(b, ':');
            wh_jbuf_value(b, item, 0);
        }
        wh_jbuf_char(b, '}');
        return;
    case JSON_ARRAY:
        wh_jbuf_char(b, '[');
        json_array_foreach(v, i, item) {
            if (i)
                wh_jbuf_char(b, ',');
            wh_jbuf_value(b, item, 0);
        }
        wh_jbuf_char(b, ']');
        return;
    }
}
