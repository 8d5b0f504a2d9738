/*
 * scoregate/doc.h - the doc module: documents in. YAML streams (read as
 * Kubernetes reads YAML) and JSON into jansson trees with a line map that says
 * where each node came from, Kubernetes manifests out of such streams and
 * files, locale-independent decimals, and the fast JSON reader of
 * AdmissionReview bodies.
 *
 * The module knows nothing about recommendations, scores or sockets; policy
 * (settings, the built-in catalog), kube (kubeconfigs), webhook (request
 * bodies) and the CLI (manifests) read their documents through it.
 * Conventions (errors, memory, ownership) are those of scoregate/base.h.
 */
#ifndef SCOREGATE_DOC_H
#define SCOREGATE_DOC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include <scoregate/base.h>

/* Limits on input, applied by every loader (bad input gets an error, never a crash). */
#define SG_MAX_DEPTH 128             /* nesting of mappings/sequences */
#define SG_MAX_INPUT (64u << 20)     /* bytes in one file or stream */
#define SG_MAX_NODES (4u << 20)      /* nodes one stream may produce, aliases expanded */

/* ------------------------------------------------------------------ */
/* Line map: where each node of a loaded JSON tree came from.           */
/* ------------------------------------------------------------------ */

typedef struct sg_linemap sg_linemap;

/* 1-based source line of a node (object, array, string or number), or 0 when
 * unknown (jansson shares true/false/null singletons, so those have none). */
int sg_linemap_node(const sg_linemap *m, const json_t *node);
/* 1-based line of the key `key` inside object `obj`, or 0 when unknown. */
int sg_linemap_member(const sg_linemap *m, const json_t *obj, const char *key);
void sg_linemap_free(sg_linemap *m);

/* ------------------------------------------------------------------ */
/* Typed reads of a loaded mapping (fields.c): settings and             */
/* definitions, with messages naming the file and line.                 */
/* ------------------------------------------------------------------ */

/* Where messages point: the file name, its line map (NULL: no lines, e.g. built-in defaults) and
 * the caller's error buffer. */
typedef struct sg_doc_reader {
    const char *name;
    const sg_linemap *lines;
    char *err;
    size_t errlen;
} sg_doc_reader;

/* Write "NAME: line L: message" into rd->err, the line being that of
 * obj[key], else of `node`, else of `obj` (whichever the line map knows;
 * "NAME: message" when none). Returns -1. */
int sg_doc_fail(const sg_doc_reader *rd, const json_t *obj, const char *key, const json_t *node, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Reject keys of `obj` not in the NULL-terminated `allowed` list ("unknown key 'k' in WHERE (expected one of: ...)"). */
int sg_doc_check_keys(const sg_doc_reader *rd, const json_t *obj, const char *where, const char *const *allowed);
/* "a mapping", "a list", "a string", ... for messages. */
const char *sg_doc_type_name(const json_t *v);
/* obj[key] of JSON type `type` (JSON_TRUE: a boolean, JSON_REAL: a number);
 * *out is NULL when it is absent or null and not `required`. 0, or -1 with the message. */
int sg_doc_get_typed(const sg_doc_reader *rd, const json_t *obj, const char *key, json_type type, bool required,
                     const char *where, const json_t **out);
/* obj[key] as a list of strings, or *out NULL when absent. */
int sg_doc_string_list(const sg_doc_reader *rd, const json_t *obj, const char *key, const char *where,
                       const json_t **out);

/* ------------------------------------------------------------------ */
/* YAML and manifests.                                                  */
/* ------------------------------------------------------------------ */

/*
 * Parse a YAML stream (JSON is accepted too; UTF-8, or UTF-16 with a
 * byte-order mark; LF or CRLF) into a JSON array holding its non-empty
 * documents, in order. A byte-order mark may open any document after a
 * "---" line, as kubectl allows it (files concatenated into one stream). Scalars resolve the way Kubernetes reads YAML
 * (YAML 1.1, as sigs.k8s.io/yaml): unquoted yes/no/on/off/y/n/true/false are
 * booleans, ~ and null are null, integers and floats are numbers, quoted
 * scalars stay strings. Anchors and aliases are expanded (bounded by
 * SG_MAX_NODES). `name` is used in error messages ("deploy.yaml: document 2,
 * line 14: ...").
 *
 * On success *docs (a new reference) and, when lines is non-NULL, *lines are
 * the caller's to free. `doc_numbers`, when non-NULL, receives a malloc'd array
 * (caller frees) with the 1-based document number of each returned document
 * (empty documents are skipped, so these may have gaps).
 */
int sg_yaml_load(const char *name, const char *data, size_t len, json_t **docs,
                 int **doc_numbers, sg_linemap **lines, char *err, size_t errlen);

/* One Kubernetes object read from a manifest stream. */
typedef struct sg_manifest {
    json_t *object;       /* owned by the list */
    const char *file;     /* borrowed from the list: the name given at load */
    int document;         /* 1-based document number in the file */
    int line;             /* 1-based line where the object starts */
    char *pointer;        /* owned by the list: where the object is in its document, as a JSON
                             Pointer: "" for the document itself, "/items/3" for a List item */
} sg_manifest;

typedef struct sg_manifest_list {
    sg_manifest *items;
    size_t count, cap;
    char **files;         /* owned copies of every name loaded */
    size_t nfiles;
} sg_manifest_list;

/*
 * Append the Kubernetes objects of a YAML/JSON stream to `list`. `kind: List`
 * and every `*List` kind are expanded into their items (each keeping its own
 * line); `items: null`, and a `kind: List` without items, is an empty list,
 * as kubectl reads it. Every object must be a mapping with string apiVersion
 * and kind; otherwise the call fails naming file, document and line, and
 * `list` is left exactly as it was.
 */
int sg_manifest_parse(sg_manifest_list *list, const char *name, const char *data,
                      size_t len, char *err, size_t errlen);
/* Same, reading `path` ("-" reads standard input). */
int sg_manifest_read(sg_manifest_list *list, const char *path, char *err, size_t errlen);

/*
 * sg_manifest_parse() for files that need not be manifests (the files of a
 * scanned directory: kustomization files, Helm values, JSON patches, tool
 * settings). When no document of the stream looks like a Kubernetes object
 * (each is a mapping with neither apiVersion nor kind, or no mapping at all),
 * nothing is added and the call returns 1, with `err` saying why ("FILE:
 * document 1, line 1: ..."). A stream with at least one such document is
 * read as sg_manifest_parse() reads it: a broken document is an error (-1).
 * An empty stream adds nothing and returns 0.
 */
int sg_manifest_parse_or_skip(sg_manifest_list *list, const char *name, const char *data,
                              size_t len, char *err, size_t errlen);
/* Same, reading `path`. */
int sg_manifest_read_or_skip(sg_manifest_list *list, const char *path, char *err, size_t errlen);
void sg_manifest_list_free(sg_manifest_list *list);

/* ------------------------------------------------------------------ */
/* Editing streams: the smallest text change (edit*.c).                 */
/* ------------------------------------------------------------------ */

/*
 * A YAML or JSON stream opened for editing. Values are changed where they
 * are written, and nothing else moves: comments, key order, quoting,
 * indentation, flow or block style, document separators and every byte that
 * does not belong to a changed value stay as they are. New keys go after the
 * last key of their mapping, at its indentation; new text takes the style
 * around it (block or flow YAML, the stream's indentation step and sequence
 * indentation, its line breaks; JSON in a JSON stream). A value that aliases
 * share (an &anchor some *alias names) is not changed, since the change would
 * reach the aliases; an alias that must change becomes a copy of its new
 * value; a key a merge key (<<) brings in is overridden by one of the
 * mapping's own.
 */
typedef struct sg_edit sg_edit;

/*
 * Open `len` bytes of a stream (copied) named `name` for editing. Fails as
 * sg_yaml_load() does, and on text it can read but not edit (UTF-16).
 */
int sg_edit_open(const char *name, const char *data, size_t len, sg_edit **out, char *err, size_t errlen);

/*
 * Make the node at JSON Pointer `pointer` of document `document` (numbered as
 * sg_yaml_load numbers them; "" is the document itself) equal `value`, with
 * the smallest text change. Returns 0, or -1 with `err` naming the document
 * and line when the change cannot be written so (a value aliases share, a
 * key a merge key brings, no such document or node); then nothing of it is
 * kept. Each call must change a part of the stream no other call changes.
 */
int sg_edit_set(sg_edit *e, int document, const char *pointer, const json_t *value, char *err, size_t errlen);

/* Whether any sg_edit_set() so far changed the text. */
bool sg_edit_changed(const sg_edit *e);
/* Whether the stream is JSON (then every change is written as JSON). */
bool sg_edit_is_json(const sg_edit *e);

/*
 * The edited text: a new buffer (*out, NUL-terminated, the caller frees; *len
 * bytes). It is read back before it is returned, and must give every
 * document the value the sg_edit_set() calls gave it (and be JSON when the
 * stream was); otherwise -1 and `err` says so ("does not read back").
 */
int sg_edit_text(sg_edit *e, char **out, size_t *len, char *err, size_t errlen);
void sg_edit_free(sg_edit *e);

/*
 * Whether a stream is an unrendered Helm chart template: 1 with the 1-based
 * *document and *line of its first template action that Helm would render
 * (one naming .Values, .Release, .Chart, .Capabilities, .Files or .Template,
 * a Helm or sprig function or control word such as include, toYaml, if, end,
 * or a trimming {{- or -}}), 0 when it has none. Actions inside block scalars
 * (| and >) and comments do not count: rendered output carries Go templates
 * of other tools there (Prometheus and Alertmanager rules).
 */
int sg_helm_template_find(const char *data, size_t len, int *document, int *line);

/* ------------------------------------------------------------------ */
/* Decimals: text to double, independent of the C locale.               */
/* ------------------------------------------------------------------ */

/*
 * The value of (negative ? -1 : 1) * <digits> * 10^exp10, where
 * `digits` holds `n` ASCII digits (an integer mantissa). Correctly rounded;
 * may be +-inf on overflow or 0 on underflow. `exp10` is clamped to a range
 * where that already holds. (YAML floats here; Kubernetes quantities in the
 * policy module.)
 */
double sg_decimal_value(bool negative, const char *digits, size_t n, long long exp10);

/*
 * Parse a decimal exponent "[+-]?digits" of `n` bytes into *out (clamped to
 * +-10^9, which is already far outside double range). Returns 0, or -1 when
 * the text is not such an exponent.
 */
int sg_decimal_exponent(const char *s, size_t n, long long *out);

/* ------------------------------------------------------------------ */
/* The fast JSON reader (AdmissionReview bodies).                       */
/* ------------------------------------------------------------------ */

/*
 * Parse `len` bytes of JSON: one object or array with optional whitespace
 * around it, strict RFC 8259 (valid UTF-8, no NUL, no control characters in
 * strings, integers within json_int_t, reals within double), at most 2048
 * levels deep; a repeated key keeps its first position and last value. It
 * accepts and builds exactly what json_loadb(text, len, 0) does, several
 * times faster (JSON is most of a review's cost; BENCHMARKS.md). Returns a
 * new reference, or NULL with *line and *column (1-based; column in bytes)
 * and `err` saying what is wrong.
 */
json_t *sg_json_read(const char *text, size_t len, int *line, int *column, char *err, size_t errlen);
/*
 * sg_json_read(), leaving out of the tree the values at `skip`: a NULL-terminated
 * list (at most 32) of paths, each a NULL-terminated list of object keys from
 * the root ({"request", "object", "metadata", "managedFields", NULL}). Their
 * text is checked all the same (the same errors at the same places), so the
 * input accepted is unchanged; only what nobody reads is never built.
 */
json_t *sg_json_read_skip(const char *text, size_t len, const char *const *const *skip, int *line, int *column,
                          char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* jansson's allocator (json_alloc.c).                                  */
/* ------------------------------------------------------------------ */

/*
 * Make base's arena hooks jansson's allocator (sg_arena_hook_malloc/free):
 * trees built while the thread's arena is active (sg_arena_begin) live in
 * it and are gone at sg_arena_end; out of memory ends the process (base.h).
 * Call it once, before anything touches jansson (the binary's main does).
 */
void sg_json_use_arena(void);
/*
 * json_dumps(json, flags) as a new NUL-terminated string from sg_malloc (the
 * caller free()s it; *len, when non-NULL, gets its length), or NULL where
 * json_dumps fails (a scalar without JSON_ENCODE_ANY). Use it, never
 * json_dumps: jansson's text comes from its allocator, which may be an
 * arena (sg_json_use_arena) that free() must not see.
 */
char *sg_json_dumps(const json_t *json, size_t flags, size_t *len);
/* json_deep_copy(v) of a tree without cycles (all of scoregate's: built from
 * text), without jansson's loop detection, which costs as much as the copy;
 * never NULL (out of memory ends the process). Keys keep their order. */
json_t *sg_json_deep_copy(const json_t *v);

#endif
