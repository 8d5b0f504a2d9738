/*
 * edit_internal.h - what the files of the stream editor share (sg_edit in
 * doc.h): the source tree of a YAML or JSON stream (edit_tree.c: every node
 * with the bytes it spans, read from libyaml's events), positions in the text
 * (edit_text.c), new values written in the style around them
 * (edit_render.c), and the changes a sg_edit_set() makes (edit_diff.c).
 */
#ifndef SG_DOC_EDIT_INTERNAL_H
#define SG_DOC_EDIT_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include <scoregate/doc.h>

#define ED_NONE ((size_t)-1)

/* ------------------------------------------------------------------ */
/* A growing text buffer.                                               */
/* ------------------------------------------------------------------ */

typedef struct ed_buf {
    char *data;
    size_t len, cap;
} ed_buf;

void ed_buf_add(ed_buf *b, const char *s, size_t n);
void ed_buf_str(ed_buf *b, const char *s);
void ed_buf_spaces(ed_buf *b, size_t n);
/* Take the text (NUL-terminated; never NULL) and leave the buffer empty. */
char *ed_buf_take(ed_buf *b);

/* ------------------------------------------------------------------ */
/* The source tree (edit_tree.c).                                       */
/* ------------------------------------------------------------------ */

typedef enum ed_kind { ED_SCALAR, ED_MAP, ED_SEQ, ED_ALIAS } ed_kind;

typedef enum ed_quote { ED_PLAIN, ED_SINGLE, ED_DOUBLE, ED_BLOCK } ed_quote;

typedef struct ed_node {
    ed_kind kind;
    bool flow;            /* collections: written {...} or [...] */
    ed_quote quote;       /* scalars: how the text is written */
    bool empty;           /* a scalar with no text at all (an empty value: null) */
    size_t start;         /* byte offset of its first byte, properties (anchor, tag) included */
    size_t body;          /* byte offset of the node itself, after its properties */
    size_t end;           /* one past its last byte; block collections: their last child's end */
    int line;             /* 1-based line of body */
    char *anchor;         /* its anchor's name (owned), or NULL */
    size_t aliases;       /* aliases in its document that refer to it */
    size_t target;        /* an alias: the node it refers to (ED_NONE when unknown) */
    size_t parent;        /* ED_NONE for a document's root */
    size_t *kids;         /* maps: key, value, key, value, ...; sequences: the items */
    size_t nkids, capkids;
    char *key;            /* a scalar used as a mapping key: its text as the loader reads it, or NULL */
    bool merge;           /* a key that is the merge key << */
    int doc;              /* the number of its document */
} ed_node;

typedef struct ed_doc {
    int number;           /* 1-based, as sg_yaml_load numbers documents */
    size_t root;          /* ED_NONE for an empty document */
} ed_doc;

typedef struct ed_tree {
    const char *text;     /* borrowed */
    size_t len;
    ed_node *nodes;
    size_t n, cap;
    ed_doc *docs;
    size_t ndocs;
} ed_tree;

/*
 * Start an empty tree over `len` bytes of `text` (borrowed). UTF-16 text is
 * refused: node offsets are byte offsets into UTF-8 text.
 */
int ed_tree_init(ed_tree *t, const char *name, const char *text, size_t len, char *err, size_t errlen);
/*
 * Read the YAML stream (JSON included) in [from, to) of the text into `t`,
 * numbering its documents from *docno + 1 (*docno is left at the last). Fails
 * with the place and libyaml's message.
 */
int ed_tree_add(ed_tree *t, const char *name, size_t from, size_t to, int *docno, char *err, size_t errlen);
void ed_tree_free(ed_tree *t);

/* The value of pair `i` of map `m` (kids[2i+1]) and its key (kids[2i]). */
size_t ed_pair_key(const ed_tree *t, size_t m, size_t i);
size_t ed_pair_value(const ed_tree *t, size_t m, size_t i);
size_t ed_npairs(const ed_tree *t, size_t m);
/* The pair of map `m` whose key (written in the map itself, merge keys aside)
 * is `key`, or ED_NONE. */
size_t ed_own_pair(const ed_tree *t, size_t m, const char *key);
/* Whether a merge key (<<) of map `m` brings `key` in. */
bool ed_merged_has(const ed_tree *t, size_t m, const char *key);

/* ------------------------------------------------------------------ */
/* Positions in the text (edit_text.c).                                 */
/* ------------------------------------------------------------------ */

/* Start of the line holding `pos`. */
size_t ed_line_start(const ed_tree *t, size_t pos);
/* Where the line holding `pos` ends: its line break ("\r\n" or "\n"), or the end of the text. */
size_t ed_line_end(const ed_tree *t, size_t pos);
/* `pos` when it starts a line, else the start of the next line (the end of the text when there is none). */
size_t ed_next_line(const ed_tree *t, size_t pos);
/* Column (bytes from its line's start) of `pos`. */
size_t ed_column(const ed_tree *t, size_t pos);
/* Whether only spaces come before `pos` on its line. */
bool ed_first_on_line(const ed_tree *t, size_t pos);
/* One past the last byte of [from, to) that is not whitespace (from when there is none). */
size_t ed_trim_back(const ed_tree *t, size_t from, size_t to);
/* The first byte at or after `pos` that is not whitespace, a line break or part of a comment. */
size_t ed_skip_gap(const ed_tree *t, size_t pos);
/* The ':' after key node `key`, or ED_NONE. */
size_t ed_colon(const ed_tree *t, size_t key);
/* The '-' of item `i` of block sequence `s`. */
size_t ed_dash(const ed_tree *t, size_t s, size_t i);
/* Whether the text of node `n` spans more than one line. */
bool ed_multiline(const ed_tree *t, size_t n);

/* ------------------------------------------------------------------ */
/* Writing values (edit_render.c).                                      */
/* ------------------------------------------------------------------ */

typedef struct ed_style {
    bool json;            /* the stream is JSON: new text is JSON too */
    const char *eol;      /* "\n" or "\r\n", as the stream has it */
    size_t step;          /* indentation of a nested block mapping (or JSON level) */
    size_t seq_indent;    /* a block sequence under a key: 0 when its '-' is at the key's column */
    bool json_tight;      /* JSON written without a space after ':' and ',' */
} ed_style;

/* Guess the style of the stream from its tree. */
void ed_style_detect(const ed_tree *t, bool json, ed_style *s);
/* The style for new entries of block map `m`: the stream's, with the step and
 * sequence indentation its own entries use where they show them. */
void ed_style_near(const ed_tree *t, size_t m, const ed_style *in, ed_style *out);

/* A scalar as YAML (flow: inside [...] or {...}; quote: the quoting to keep when it fits) or JSON. */
void ed_put_scalar(ed_buf *b, const json_t *v, bool flow, ed_quote quote, const ed_style *s);
/* A mapping key. */
void ed_put_key(ed_buf *b, const char *key, bool flow, const ed_style *s);
/* A value on one line: YAML flow style, or compact JSON. */
void ed_put_flow(ed_buf *b, const json_t *v, const ed_style *s);
/* A JSON value spread over lines, its nested lines indented from column `col`. */
void ed_put_json(ed_buf *b, const json_t *v, size_t col, const ed_style *s);
/* Whether `v` is written on the line it starts on in block style (a scalar, {} or []). */
bool ed_inline(const json_t *v);
/* What follows "key:" in block style for a key at column `col`: " value", or the lines of a collection. */
void ed_put_block_value(ed_buf *b, const json_t *v, size_t col, const ed_style *s);
/* What follows the '-' at column `col` of a block sequence item. */
void ed_put_block_item(ed_buf *b, const json_t *v, size_t col, const ed_style *s);

/* ------------------------------------------------------------------ */
/* Changes (edit_diff.c).                                               */
/* ------------------------------------------------------------------ */

/* Replace [start, end) with `text` (owned). Insertions have start == end. */
typedef struct ed_change {
    size_t start, end;
    char *text;
    size_t seq;           /* the order it was made in: insertions at one place keep it */
} ed_change;

typedef struct ed_changes {
    ed_change *items;
    size_t n, cap;
} ed_changes;

void ed_changes_add(ed_changes *c, size_t start, size_t end, char *text);
void ed_changes_free(ed_changes *c);

/*
 * The changes that turn node `node` (whose value is `old`) into `value`,
 * appended to `out`. Returns 0, or -1 with `err` saying why the text cannot
 * be changed so (a value shared through an anchor, a key a merge key brings).
 */
int ed_diff(const ed_tree *t, const ed_style *s, size_t node, const json_t *old, const json_t *value, ed_changes *out,
            char *err, size_t errlen);

#endif
