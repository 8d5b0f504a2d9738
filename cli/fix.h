/*
 * fix.h - `scoregate fix` (internal to cli/): the fixes of the admission
 * decision (sg_admission_decide, the patches /mutate sends) applied to files
 * with the doc module's minimal editor, or to live objects with the kube
 * module's JSON Patch. docs/fix.md describes the command.
 */
#ifndef SCOREGATE_CLI_FIX_H
#define SCOREGATE_CLI_FIX_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include <scoregate/doc.h>
#include <scoregate/policy.h>
#include <scoregate/scoring.h>

#define FIX_MAX_LIST 64

typedef struct fix_options {
    const char *config;
    const char *namespace_;
    const char *kubeconfig;          /* non-NULL: the live cluster */
    const char *context;
    const char *standards[FIX_MAX_LIST];
    size_t nstandards;
    const char *recommendations[FIX_MAX_LIST];
    size_t nrecommendations;
    bool all;
    bool write, diff, apply;
} fix_options;

/* What `fix` decides with: the policy (enforce set as asked), its model, the
 * inventory decisions are made against, the default namespace and the time. */
typedef struct fix_ctx {
    const sg_policy *policy;
    sg_score_model *model;
    sg_inventory *inventory;
    const char *namespace_;
    time_t now;
} fix_ctx;

/* What the admission decision makes of one object. */
typedef struct fix_object {
    const sg_policy *policy;  /* borrowed: the policy it was decided with */
    sg_admission adm;
    size_t wanted;            /* unhealthy findings whose action is enforce */
    size_t healed;            /* those the patch heals */
    const json_t *patch;      /* borrowed from adm: the enforce patch when it heals something, else NULL */
    const json_t *fixed;      /* borrowed from adm: the object with that patch applied, else NULL */
} fix_object;

/*
 * Decide `object` (mode ADMIT, as scan and the API server's call chain do,
 * `op` CREATE for files and UPDATE for live objects). 0 when decided; -1 when
 * it cannot be evaluated (`err` says why; nothing to free).
 */
int fix_decide(const fix_ctx *x, const json_t *object, sg_score_op op, bool dry_run, fix_object *out, char *err,
               size_t errlen);
void fix_object_free(fix_object *o);

/* Whether finding `i` of the object is one `fix` is asked to fix. */
bool fix_wanted(const fix_object *o, size_t i);

/*
 * Report lines (fix_report.c). `label` is what names the object ("file:
 * document 2, line 9: Deployment/ns/name" or "Deployment/ns/name").
 * fix_print_fixed: "LABEL: VERB rec (container c), rec2[ SUFFIX]" for the healed findings (suffix may be NULL);
 * fix_print_unfixed: one "LABEL: not fixed: rec (container c): why" per finding the patch does not heal.
 */
void fix_label(const sg_eval *ev, const char *place, char *buf, size_t len);
void fix_print_fixed(FILE *out, const char *label, const char *verb, const fix_object *o, const char *suffix);
void fix_print_unfixed(FILE *out, const char *label, const fix_object *o);
/* "Secure score: 40.00% -> 80.00% (+40.00)" (or "n/a"); `what` follows "Secure score" when non-NULL. */
void fix_print_score(FILE *out, const char *what, const sg_score *before, const sg_score *after);

/* The files (fix_files.c) and the live cluster (fix_live.c); each returns the exit status. */
int fix_files(const sg_policy *p, const fix_options *o, char **paths, int npaths);
int fix_live(const sg_policy *p, const fix_options *o);

/* A unified diff of `a` (old) and `b` (new) of file `name`, 3 lines of context (fix_diff.c). */
void fix_write_diff(FILE *out, const char *name, const char *a, size_t alen, const char *b, size_t blen);

#endif
