/*
 * log.c - one JSON object per line on stderr, so log collectors parse it
 * without rules. Lines carry the request's identity and outcome, never an
 * object body or key material.
 *
 * Numbers with a fraction are written with exactly three decimals
 * ("latencyMs":0.235): jansson would print the shortest text that reads back
 * as the same double, which for 0.235 is 0.23499999999999999. So the line is
 * serialised here, with jansson encoding only the strings and integers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "internal.h"

/* Longest string field a line carries: request fields (kind, name, uid...)
 * come from the caller, and a multi-megabyte name must not become a
 * multi-megabyte log line. */
#define WH_LOG_FIELD_MAX 1024

/* Replace the string value of `key` by its first WH_LOG_FIELD_MAX bytes (cut
 * at a UTF-8 boundary) and "…" when it is longer. */
static void cap_field(json_t *line, const char *key, json_t *value)
{
    size_t len = json_string_length(value);
    if (len <= WH_LOG_FIELD_MAX)
        return;
    const char *s = json_string_value(value);
    size_t cut = WH_LOG_FIELD_MAX;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    char *text = sg_malloc(cut + 4);
    memcpy(text, s, cut);
    memcpy(text + cut, "\xE2\x80\xA6", 4);
    json_object_set_new(line, key, json_string(text));
    free(text);
}

/* Append `v` as JSON to `f`: reals with three decimals, everything else as
 * jansson encodes it (ASCII only, so the line is valid whatever the bytes). */
static void put_value(FILE *f, const json_t *v)
{
    const char *key;
    const json_t *item;
    size_t i;
    bool first = true;
    switch (json_typeof(v)) {
    case JSON_REAL:
        fprintf(f, "%.3f", json_real_value(v));
        return;
    case JSON_OBJECT:
        fputc('{', f);
        json_object_foreach((json_t *)v, key, item) {
            json_t *name = json_string(key);
            if (!first)
                fputc(',', f);
            first = false;
            put_value(f, name);
            fputc(':', f);
            put_value(f, item);
            json_decref(name);
        }
        fputc('}', f);
        return;
    case JSON_ARRAY:
        fputc('[', f);
        json_array_foreach(v, i, item) {
            if (i)
                fputc(',', f);
            put_value(f, item);
        }
        fputc(']', f);
        return;
    default: {
        char *text = sg_json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_ENSURE_ASCII, NULL);
        fputs(text ? text : "null", f);
        free(text);
    }
    }
}

void wh_log(const char *level, const char *msg, json_t *fields)
{
    json_t *line = json_object();
    if (!line) {
        json_decref(fields);
        return;
    }
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char when[40];
    size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + n, sizeof when - n, ".%03ldZ", (long)(tv.tv_usec / 1000));
    json_object_set_new(line, "time", json_string(when));
    json_object_set_new(line, "level", json_string(level));
    json_object_set_new(line, "msg", wh_text(msg));
    if (fields)
        json_object_update(line, fields);
    json_decref(fields);
    const char *key;
    json_t *value;
    void *tmp;
    json_object_foreach_safe(line, tmp, key, value) {
        if (json_is_string(value))
            cap_field(line, key, value);
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f) {
        put_value(f, line);
        fputc('\n', f);
        if (fclose(f) != 0) {
            free(text);
            text = NULL;
        }
    }
    json_decref(line);
    if (text) {
        flockfile(stderr);
        fwrite(text, 1, len, stderr);
        funlockfile(stderr);
        free(text);
    }
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
