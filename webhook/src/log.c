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

/* The head of a line, "time", "level" and "msg", unless `fields` replaces it. */
static void put_head(wh_jbuf *b, const char *key, const char *value, const json_t *fields)
{
    if (b->len > 1)
        wh_jbuf_char(b, ',');
    wh_jbuf_string(b, key, strlen(key), 0);
    wh_jbuf_char(b, ':');
    const json_t *mine = fields ? json_object_get(fields, key) : NULL;
    if (mine) {
        wh_jbuf_value(b, mine, WH_LOG_FIELD_MAX);
        return;
    }
    json_t *text = wh_text(value);
    wh_jbuf_value(b, text, WH_LOG_FIELD_MAX);
    json_decref(text);
}

/* The line's start, {"time":...,"level":...,"msg":... (each replaced by the
 * field of that name in `fields`, when there is one), into `b`. */
static void line_start(wh_jbuf *b, const char *level, const char *msg, const json_t *fields)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char when[40];
    size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + n, sizeof when - n, ".%03ldZ", (long)(tv.tv_usec / 1000));
    wh_jbuf_char(b, '{');
    put_head(b, "time", when, fields);
    put_head(b, "level", level, fields);
    put_head(b, "msg", msg, fields);
}

/* The line's end, and the line to stderr in one write. */
static void line_end(wh_jbuf *b)
{
    wh_jbuf_put(b, "}\n", 2);
    flockfile(stderr);
    fwrite(b->data, 1, b->len, stderr);
    funlockfile(stderr);
    wh_jbuf_free(b);
}

/* One line: {"time":...,"level":...,"msg":..., the fields in their order},
 * written straight from the fields (a field named time, level or msg takes
 * that place, as json_object_update into the head would). */
void wh_log(const char *level, const char *msg, json_t *fields)
{
    wh_jbuf b;
    wh_jbuf_init(&b);
    line_start(&b, level, msg, fields);
    const char *key;
    json_t *value;
    json_object_foreach(fields, key, value) {
        if (!strcmp(key, "time") || !strcmp(key, "level") || !strcmp(key, "msg"))
            continue;
        wh_jbuf_char(&b, ',');
        wh_jbuf_string(&b, key, strlen(key), 0);
        wh_jbuf_char(&b, ':');
        wh_jbuf_value(&b, value, WH_LOG_FIELD_MAX);
    }
    json_decref(fields);
    line_end(&b);
}

void wh_log_text(const char *level, const char *msg, const struct wh_jbuf_s *fields)
{
    wh_jbuf b;
    wh_jbuf_init(&b);
    line_start(&b, level, msg, NULL);
    wh_jbuf_put(&b, fields->data, fields->len);
    line_end(&b);
}

void wh_log_str(wh_jbuf *b, const char *key, const char *value)
{
    wh_jbuf_put(b, ",\"", 2);
    wh_jbuf_put(b, key, strlen(key));
    wh_jbuf_put(b, "\":", 2);
    wh_jbuf_string(b, value ? value : "", value ? strlen(value) : 0, WH_LOG_FIELD_MAX);
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
