/*
 * json_read.h - the webhook's JSON reader (json_read.c): request bodies into
 * jansson trees, accepting and building exactly what json_loadb(text, len, 0)
 * does, several times faster (JSON is most of a review's cost; BENCHMARKS.md).
 */
#ifndef SCOREGATE_WEBHOOK_JSON_READ_H
#define SCOREGATE_WEBHOOK_JSON_READ_H

#include <jansson.h>
#include <stddef.h>

/*
 * Parse `len` bytes of JSON: one object or array with optional whitespace
 * around it, strict RFC 8259 (valid UTF-8, no NUL, no control characters in
 * strings, integers within json_int_t, reals within double), at most 2048
 * levels deep; a repeated key keeps its first position and last value.
 * Returns a new reference, or NULL with *line and *column (1-based; column
 * in bytes) and `err` (errlen bytes) saying what is wrong.
 */
json_t *wh_json_read(const char *text, size_t len, int *line, int *column, char *err, size_t errlen);

#endif
