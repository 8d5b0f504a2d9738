/*
 * log.c - one JSON object per line on stderr, so log collectors parse it
 * without rules. Lines carry the request's identity and outcome, never an
 * object body or key material.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

#include "internal.h"

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
    char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    json_decref(line);
    if (text) {
        flockfile(stderr);
        fputs(text, stderr);
        fputc('\n', stderr);
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
