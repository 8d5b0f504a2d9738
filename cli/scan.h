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

/* One scanned object and the admission decision the cluster would make:
 * adm.eval holds its findings, adm.denials[k] says why finding k is denied
 * (SG_DENIAL_NONE when it is not), adm.gate the score gate's verdict. */
typedef struct scan_item {
    const sg_manifest *manifest;   /* borrowed from the report's manifest list */
    sg_admission adm;
} scan_item;

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
    sg_manifest_list manifests;
    scan_item *items;
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

/* The inputs (scan_inputs.c): read `paths` into r->manifests, recording in
 * r->skipped what a directory holds that is not for the API server (unless
 * `strict`) and in r->errors what cannot be read, with a line on standard
 * error for each; everything else is still read. */
void scan_read_inputs(scan_report *r, char *const *paths, size_t npaths, bool strict);
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
void scan_resource_label(const sg_eval *ev, char *buf, size_t len);

/* A time as RFC 3339 in UTC ("2027-03-31T00:00:00Z"), into buf. */
void scan_time_text(time_t t, char *buf, size_t len);

/* When an exemption matched the finding but has expired (and so was ignored):
 * "exemption NAME expired on TIME, so it no longer applies", into buf, which
 * is returned; NULL otherwise. Every format says it, so no one mistakes an
 * expired exemption for an active one. */
const char *scan_expired_note(const sg_finding *f, char *buf, size_t len);

/* Progress on standard error for long scans (scan_progress.c): shown only when
 * standard error is a terminal and there are at least SCAN_PROGRESS_MIN
 * objects; a single line rewritten in place and blanked when done. */
#define SCAN_PROGRESS_MIN 1000
typedef struct scan_progress {
    size_t total;
    int width;                     /* longest line written, to blank it */
    bool active;
} scan_progress;
void scan_progress_start(scan_progress *p, size_t total);
void scan_progress_update(scan_progress *p, size_t done);
void scan_progress_end(scan_progress *p);

/* Skipped files or input errors as a JSON list of {file, document, line, <text_key>} (the place
 * only when known). */
json_t *scan_notes_json(const scan_note *notes, size_t n, const char *text_key);

/* One finding as the JSON object of docs/scan.md (shared by the writers). */
json_t *scan_finding_json(const scan_report *r, const sg_finding *f);

#endif
