/*
 * scan.h - the report `scoregate scan` builds and the writers that render it
 * (internal to cli/). One report, many formats: every writer reads the same
 * evaluated resources, so all formats agree.
 */
#ifndef SCOREGATE_CLI_SCAN_H
#define SCOREGATE_CLI_SCAN_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include <scoregate/doc.h>
#include <scoregate/policy.h>
#include <scoregate/scoring.h>

/*
 * One scanned object and the admission decision the cluster would make, as
 * the writers read it. The scan keeps no jansson tree of an object once it is
 * decided: each becomes a compact record (scan_record.c) holding only what
 * the reports print, and scan_item_get() unpacks one record at a time into
 * this view. Strings point into the record store (stable for the report's
 * life); the arrays are the view's and valid until the next scan_item_get().
 */
typedef struct scan_finding {
    size_t rec;                    /* index into the policy's catalog */
    sg_status status;
    sg_action action;
    const char *container, *container_type, *message;   /* NULL when none */
    const char *exemption;         /* borrowed from the policy, or NULL */
    sg_exemption_category exemption_category;
    bool exemption_expired;
    const char *expired_exemption; /* borrowed from the policy, or NULL */
    time_t exemption_expires;
} scan_finding;

typedef struct scan_eval {
    const char *api_version, *kind;
    const char *namespace_, *name; /* NULL: cluster-scoped, unnamed */
    bool excluded;
    const scan_finding *findings;
    size_t count;
} scan_eval;

typedef struct scan_change {
    const char *id;                /* interned by scoring */
    double before, after;
} scan_change;

typedef struct scan_item {
    struct {
        const char *file;
        int document, line;
    } source;
    scan_eval eval;
    const sg_denial *denials;      /* eval.count entries: why finding k is denied, or SG_DENIAL_NONE */
    bool allowed;
    struct {
        bool denied, by_max_drop;
        double limit;
        const char *message;       /* "" when not denied */
    } gate;
    struct {                       /* the object's predicted score change (sg_score_prediction) */
        bool has_before, has_after, has_delta;
        double before, after, delta, exact_delta;
        const scan_change *changes;
        size_t nchanges;
    } prediction;
    const char *patch;             /* the enforce patch as compact JSON text, or NULL */
} scan_item;

/* The record store (scan_record.c). */
typedef struct scan_records scan_records;

/* An input that was skipped, or could not be read or judged: where, and why. */
typedef struct scan_note {
    char *file;
    int document, line;            /* 0 when the note is about the whole file */
    char *message;                 /* without the place */
} scan_note;

typedef struct scan_report {
    const sg_policy *policy;
    sg_score_model *model;         /* the policy's score model */
    sg_inventory *inventory;       /* empty or the baseline, with every admitted object put in order */
    sg_score before;               /* the inventory's score before the scan */
    char **files;                  /* the names of the files read, in order */
    size_t nfiles;
    scan_records *records;         /* one per admitted object, in input order */
    size_t count;
    size_t denied;                 /* resources admission would deny */
    scan_note *skipped;            /* files of a directory that are not manifests, kustomizations, patches */
    size_t nskipped;
    scan_note *errors;             /* inputs that could not be read or judged: the scan exits 2 */
    size_t nerrors;
    json_t *score;                 /* the "score" object of docs/scan.md, or NULL */
    json_t *prediction;            /* with --baseline, or NULL */
    const char *help_base_url;     /* --help-base-url (SARIF helpUri, informationUri), or NULL */
} scan_report;

/* The score gate, where a format needs it named like a recommendation. */
#define SCAN_GATE_ID "score-gate"
#define SCAN_GATE_TITLE "The secure score must not fall below the score gate (scoreGate)"
#define SCAN_GATE_REMEDIATION                                                                                      \
    "Fix the object's unhealthy findings, so that admitting it keeps the score within scoreGate's minScore and "    \
    "maxDrop."

/* The inputs (scan_inputs.c): the files `paths` name, in input order, each to
 * read (strictly or leniently) or skipped with a reason; a directory that
 * cannot be walked or a kustomization that cannot be read is recorded in
 * r->errors (with a line on standard error). */
typedef struct scan_input {
    char *path;
    bool lenient;                  /* a file of a directory (without --strict): may be skipped */
    char *skip;                    /* why it is skipped without reading (Helm, kustomize), or NULL */
} scan_input;
typedef struct scan_inputs {
    scan_input *items;
    size_t count;
} scan_inputs;
void scan_list_inputs(scan_report *r, char *const *paths, size_t npaths, bool strict, scan_inputs *in);
void scan_inputs_free(scan_inputs *in);
/* Record an input that was not read: a skip (a line on standard error, a note in r->skipped). */
void scan_note_skip(scan_report *r, const char *file, const char *why);
void scan_note_error(scan_report *r, const char *file, const char *err);

/* The scan itself (scan_stream.c): read the inputs on `jobs` threads (1: in
 * this one), file by file, and admit their objects in input order, one after
 * another, into r->inventory with the webhook's decision (sg_admission_decide),
 * keeping a compact record of each. A file's trees are freed once its objects
 * are decided, so memory holds the records and the files in flight, not the
 * input. What cannot be read or judged is recorded in r->errors (reading
 * errors first, then decisions', each in input order). */
void scan_run(scan_report *r, const scan_inputs *in, const char *ns, unsigned jobs);

/* Records (scan_record.c). */
scan_records *scan_records_new(void);
/* Keep the decision `a` of the object `m` (whose file name is `file`, owned by the report). */
void scan_records_add(scan_records *s, const char *file, const sg_manifest *m, const sg_admission *a);
/* The view of record i (0 <= i < r->count); valid until the next call for this report. */
const scan_item *scan_item_get(const scan_report *r, size_t i);
void scan_records_free(scan_records *s);
/* Record a note; a leading "FILE: " and "document D, line L: " of `text` become its place
 * (unless `document` is given). */
void scan_note_add(scan_note **list, size_t *n, const char *file, int document, int line, const char *text);
void scan_notes_free(scan_note *list, size_t n);

/* Kustomizations (scan_kustomize.c): whether a file name is one, and the
 * files the kustomizations read so far name as patches (by real path). */
typedef struct scan_patch {
    char *file;                    /* real path of the patch */
    char *kustomization;           /* the kustomization that names it, as found */
    const char *field;             /* patchesStrategicMerge, patches or patchesJson6902 */
} scan_patch;
typedef struct scan_patches {
    scan_patch *items;
    size_t n;
} scan_patches;
bool scan_is_kustomization(const char *name);
int scan_kustomize_read(scan_patches *ps, const char *path, char *err, size_t errlen);
const scan_patch *scan_kustomize_patch(const scan_patches *ps, const char *path);
void scan_kustomize_free(scan_patches *ps);

/* Writers: 0 on success, -1 when the output could not be written. */
int scan_write_json(const scan_report *r, FILE *out);
int scan_write_text(const scan_report *r, FILE *out, bool color);
int scan_write_sarif(const scan_report *r, FILE *out);            /* scan_sarif.c */
int scan_write_junit(const scan_report *r, FILE *out);            /* scan_junit.c */
int scan_write_policyreport(const scan_report *r, FILE *out);     /* scan_policyreport.c */
int scan_write_html(const scan_report *r, FILE *out);             /* scan_html.c */

/* Format registry (scan_formats.c): whether `name` is a known -f value, the
 * list of names for messages ("text, json, ..."), and the dispatch. `color`
 * is honoured by the text writer only. */
bool scan_format_known(const char *name);
const char *scan_format_names(void);
int scan_write(const scan_report *r, const char *format, FILE *out, bool color);

/* Shared helpers for the writers (scan_util.c). */

/* Totals over every finding of the report. */
typedef struct scan_counts {
    size_t healthy, unhealthy, exempt, not_applicable;
    size_t denied;                 /* unhealthy findings admission would deny */
} scan_counts;
void scan_count(const scan_report *r, scan_counts *c);

/* XML and HTML text is escaped with sg_html_escape() (scoregate/webhook.h). */

/* Write `value` as indented JSON (2 spaces) nested `level` levels deep, so
 * that large reports stream one element at a time instead of building one
 * tree. Steals the reference to `value` (NULL fails). 0 or -1. */
int scan_json_put(FILE *out, json_t *value, int level);

/* A JSON string of `s` (NULL: ""), with malformed UTF-8 (a file name from the
 * command line can hold any bytes) replaced by U+FFFD instead of failing. */
json_t *scan_json_text(const char *s);

/* "Kind/namespace/name" ("Kind/name" for cluster-scoped objects), into buf
 * (cut at a character boundary when it does not fit). */
void scan_label(const char *kind, const char *ns, const char *name, char *buf, size_t len);
#define scan_resource_label(ev, buf, len) scan_label((ev)->kind, (ev)->namespace_, (ev)->name, (buf), (len))

/* A time as RFC 3339 in UTC ("2027-03-31T00:00:00Z"), into buf. */
void scan_time_text(time_t t, char *buf, size_t len);

/* When an exemption matched the finding but has expired (and so was ignored):
 * "exemption NAME expired on TIME, so it no longer applies", into buf, which
 * is returned; NULL otherwise. Every format says it, so no one mistakes an
 * expired exemption for an active one. */
const char *scan_expired_note(const scan_finding *f, char *buf, size_t len);

/* Progress on standard error for long scans (scan_progress.c): shown only when
 * standard error is a terminal, once the files read so far hold at least
 * SCAN_PROGRESS_MIN objects ("scanned D/N objects": N grows as files are
 * read); a single line rewritten in place and blanked when done. */
#define SCAN_PROGRESS_MIN 1000
typedef struct scan_progress {
    int width;                     /* longest line written, to blank it */
    bool tty, active;
} scan_progress;
void scan_progress_start(scan_progress *p);
void scan_progress_update(scan_progress *p, size_t done, size_t total);
void scan_progress_end(scan_progress *p);

/* Skipped files or input errors as a JSON list of {file, document, line, <text_key>} (the place
 * only when known). */
json_t *scan_notes_json(const scan_note *notes, size_t n, const char *text_key);

/* One finding as the JSON object of docs/scan.md (shared by the writers). */
json_t *scan_finding_json(const scan_report *r, const scan_finding *f);

#endif
