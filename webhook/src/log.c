/*
 * log.c - one JSON object per line on stderr, so log collectors parse it
 * without rules. Lines carry the request's identity and outcome, never an
 * object body or key material.
 *
 * Numbers with a fraction are written with exactly three decimals
 * ("latencyMs":0.235): jansson would print the shortest text that reads back
 * as the same double, which for 0.235 is 0.23499999999999999. So the line is
 * serialised here, straight from the fields into one buffer (one log line per
 * review: building it as a tree and encoding each value through jansson cost
 * a tenth of a review), with strings escaped as jansson's JSON_ENSURE_ASCII
 * does, so the line is valid whatever the bytes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "internal.h"

/* Longest string field a line carries: request fields (kind, name, uid...)
 * come from the caller, and a multi-megabyte name must not become a
 * multi-megabyte log line. Longer ones keep their first WH_LOG_FIELD_MAX
 * bytes (cut at a UTF-8 boundary) and "…". */
#define WH_LOG_FIELD_MAX 1024

/* The line being written: on the stack for a usual line, on the heap past it. */
typedef struct {
    char *data;
    size_t len, cap;
    char small[2048];
} line_buf;

static void put(line_buf *b, const char *s, size_t n)
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

static void put_c(line_buf *b, char c)
{
    put(b, &c, 1);
}

/* `n` bytes of UTF-8 (as jansson holds them: valid) as a JSON string in
 * ASCII, escaped as jansson's JSON_ENSURE_ASCII writes it; values (not keys)
 * longer than WH_LOG_FIELD_MAX are cut. */
static void put_string(line_buf *b, const char *s, size_t n, bool cap)
{
    bool cut = cap && n > WH_LOG_FIELD_MAX;
    if (cut) {
        n = WH_LOG_FIELD_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    put_c(b, '"');
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        const unsigned char *run = p;
        while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            p++;
        put(b, (const char *)run, (size_t)(p - run));
        if (p >= end)
            break;
        char seq[16];
        unsigned c = *p;
        if (c == '"' || c == '\\') {
            seq[0] = '\\';
            seq[1] = (char)c;
            put(b, seq, 2);
            p++;
            continue;
        }
        if (c < 0x20) {
            const char *named = c == '\b' ? "\\b" : c == '\f' ? "\\f" : c == '\n' ? "\\n" : c == '\r' ? "\\r"
                                : c == '\t' ? "\\t" : NULL;
            if (named)
                put(b, named, 2);
            else
                put(b, seq, (size_t)snprintf(seq, sizeof seq, "\\u%04X", c));
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
            put(b, seq, (size_t)snprintf(seq, sizeof seq, "\\u%04X", cp));
        } else {
            cp -= 0x10000;
            put(b, seq, (size_t)snprintf(seq, sizeof seq, "\\u%04X\\u%04X", 0xD800 | (cp >> 10), 0xDC00 | (cp & 0x3FF)));
        }
        p += len;
    }
    if (cut)
        put(b, "\\u2026", 6);
    put_c(b, '"');
}

/* `v` as JSON: reals with three decimals, strings in ASCII (as jansson's
 * JSON_ENSURE_ASCII); a string capped when `cap` (the line's own fields). */
static void put_value(line_buf *b, const json_t *v, bool cap)
{
    const char *key;
    const json_t *item;
    size_t i;
    char num[64];
    switch (json_typeof(v)) {
    case JSON_REAL:
        put(b, num, (size_t)snprintf(num, sizeof num, "%.3f", json_real_value(v)));
        return;
    case JSON_INTEGER:
        put(b, num, (size_t)snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v)));
        return;
    case JSON_STRING:
        put_string(b, json_string_value(v), json_string_length(v), cap);
        return;
    case JSON_TRUE:
        put(b, "true", 4);
        return;
    case JSON_FALSE:
        put(b, "false", 5);
        return;
    case JSON_NULL:
        put(b, "null", 4);
        return;
    case JSON_OBJECT:
        put_c(b, '{');
        i = 0;
        json_object_foreach((json_t *)v, key, item) {
            if (i++)
                put_c(b, ',');
            put_string(b, key, strlen(key), false);
            put_c(b, ':');
            put_value(b, item, false);
        }
        put_c(b, '}');
        return;
    case JSON_ARRAY:
        put_c(b, '[');
        json_array_foreach(v, i, item) {
            if (i)
                put_c(b, ',');
            put_value(b, item, false);
        }
        put_c(b, ']');
        return;
    }
}

/* The head of a line, "time", "level" and "msg", unless `fields` replaces it. */
static void put_head(line_buf *b, const char *key, const char *value, const json_t *fields)
{
    if (b->len > 1)
        put_c(b, ',');
    put_string(b, key, strlen(key), false);
    put_c(b, ':');
    const json_t *mine = fields ? json_object_get(fields, key) : NULL;
    if (mine) {
        put_value(b, mine, true);
        return;
    }
    json_t *text = wh_text(value);
    put_value(b, text, true);
    json_decref(text);
}

/* One line: {"time":...,"level":...,"msg":..., the fields in their order},
 * written straight from the fields (a field named time, level or msg takes
 * that place, as json_object_update into the head would). */
void wh_log(const char *level, const char *msg, json_t *fields)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char when[40];
    size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + n, sizeof when - n, ".%03ldZ", (long)(tv.tv_usec / 1000));
    line_buf b;
    b.data = b.small;
    b.len = 0;
    b.cap = sizeof b.small;
    put_c(&b, '{');
    put_head(&b, "time", when, fields);
    put_head(&b, "level", level, fields);
    put_head(&b, "msg", msg, fields);
    const char *key;
    json_t *value;
    json_object_foreach(fields, key, value) {
        if (!strcmp(key, "time") || !strcmp(key, "level") || !strcmp(key, "msg"))
            continue;
        put_c(&b, ',');
        put_string(&b, key, strlen(key), false);
        put_c(&b, ':');
        put_value(&b, value, true);
    }
    json_decref(fields);
    put(&b, "}\n", 2);
    flockfile(stderr);
    fwrite(b.data, 1, b.len, stderr);
    funlockfile(stderr);
    if (b.data != b.small)
        free(b.data);
}

void wh_logf(const char *level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    wh_log(level, msg, NULL);
}
