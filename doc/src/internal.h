/*
 * internal.h - what the loaders of the doc module share and nothing outside
 * it sees: scalar resolution, the JSON fast path, and building a line map.
 */
#ifndef SG_DOC_INTERNAL_H
#define SG_DOC_INTERNAL_H

#include <scoregate/doc.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Write "NAME: document D, line L: " and the formatted message into err; returns -1. */
int doc_verr(char *err, size_t errlen, const char *name, int document, int line, const char *fmt, va_list ap);

/*
 * The JSON value of a YAML scalar, resolved as sigs.k8s.io/yaml (go-yaml v2,
 * YAML 1.1) does. `tag` is the scalar's tag as libyaml reports it (NULL when
 * none); `plain` says whether it was written unquoted. Returns a new reference,
 * or NULL with *why set to a static message (a tag the text does not fit, or
 * text that is not valid UTF-8).
 */
json_t *doc_yaml_scalar(const char *text, size_t len, const char *tag, bool plain, const char **why);

/*
 * Whether a plain (unquoted), untagged scalar stays a string once resolved:
 * then a key's text is the scalar's text, and the loader copies it without
 * building a JSON value first.
 */
bool doc_yaml_plain_is_string(const char *text, size_t len);

/* Whether a key scalar is the merge key "<<" (plain and untagged, or tagged !!merge). */
bool doc_yaml_is_merge_key(const char *text, size_t len, const char *tag, bool plain);

/*
 * The string form of a resolved scalar used as a mapping key, as
 * sigs.k8s.io/yaml writes it: strings as they are, 10 for an integer, "true",
 * "null", and floats in Go's shortest float32 "%g" form (1.5, 1e+06).
 * Returns a malloc'd string, or NULL when `v` is not a scalar.
 */
char *doc_yaml_key_text(const json_t *v);

/*
 * sg_yaml_load with a choice of lines: with `manifest_lines`, only what
 * manifest.c reads gets a line (each document, its keys, and the same for the
 * items of an `items` list, as deep as they nest); every node and key
 * otherwise. Errors name the same lines either way.
 */
int doc_yaml_load(const char *name, const char *data, size_t len, bool manifest_lines, json_t **docs,
                  int **doc_numbers, sg_linemap **lines, char *err, size_t errlen);

/* stream_prep.c: kubectl decodes each part of a stream cut at its separator
 * lines on its own, so every part may begin with a byte-order mark; libyaml
 * takes one only at the start. doc_stream_drop_boms drops such marks from a
 * copy (*copy, malloc'd; NULL when there is none) that keeps every line where
 * it was, and returns its length. doc_stream_looks_like_json: whether the
 * text starts (after a mark and whitespace) with '{' or '['. */
size_t doc_stream_drop_boms(const char *data, size_t len, char **copy);
bool doc_stream_looks_like_json(const char *data, size_t len);

/*
 * The JSON fast path of sg_yaml_load: a stream of one or more JSON objects or
 * arrays (whitespace between them), read with jansson. Lines are recovered by
 * a scan of the text that follows jansson's tree. Returns 0 on success, -1 on
 * a limit error (message written), and 1 when the text is not such a JSON
 * stream (the caller then reads it as YAML, which is a superset).
 */
int doc_json_load(const char *name, const char *data, size_t len, json_t **docs,
                 int **doc_numbers, sg_linemap **lines, char *err, size_t errlen);

/*
 * Building a line map. The loaders record where every node and member key of
 * a JSON tree came from while they build it; the public getters live in
 * doc.h. Entries are keyed by node pointer, so a node must be forgotten
 * before it is freed while the map lives on (otherwise a later node at the
 * same address would inherit its line).
 */
/* A new, empty map. */
sg_linemap *doc_linemap_new(void);
/* Record the line of `node` (ignored for the shared true/false/null). */
void doc_linemap_set_node(sg_linemap *m, const json_t *node, int line);
/* Record the line of key `key` of object `obj`. */
void doc_linemap_set_member(sg_linemap *m, const json_t *obj, const char *key, int line);
/* Drop the entries of `node` itself: its line and, for an object, the lines
 * of its keys. Entries of its children stay (they may live on elsewhere). */
void doc_linemap_forget(sg_linemap *m, const json_t *node);

#endif
