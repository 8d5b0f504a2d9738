/*
 * scoregate/scoring.h - the scoring module: controls, the secure score of
 * Defender for Cloud, the inventory of a cluster's resources and the impact
 * prediction of one admission request (docs/scoring.md).
 *
 * The layers, from the bottom:
 *  - A model (sg_score_model) maps each recommendation of the policy catalog
 *    (by index and by id) to a control, and says whether it is scored. It is
 *    built from plain arrays (sg_score_model_new) or from a loaded policy
 *    (sg_score_model_from_policy). The control table is data.
 *  - An outcome (sg_score_outcome) is what one evaluated object contributes:
 *    its key (apiVersion group, kind, namespace, name), its labels, and per
 *    recommendation whether it applies, its raw health and the exemption that
 *    matched, kept as bit sets.
 *  - The inventory (sg_inventory) holds one outcome per resource plus
 *    per-control healthy/unhealthy counters, so the score and a prediction
 *    cost O(controls), never O(resources). It is saved crash-safely and can be
 *    re-scored after a config reload without the objects.
 *
 * Conventions (errors, memory, ownership) are those of scoregate/base.h.
 *
 * Thread safety: a model is immutable and reference-counted; it may be shared
 * by any number of threads. An outcome belongs to one thread. Every inventory
 * function takes the inventory's internal read/write lock itself, so callers
 * need no lock of their own; sg_inventory_predict_apply() makes the prediction
 * and the change of one request a single atomic step.
 */
#ifndef SCOREGATE_SCORING_H
#define SCOREGATE_SCORING_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <scoregate/policy.h>

/* At most this many controls in one model (Defender's full table has 12). */
#define SG_SCORE_MAX_CONTROLS 32
/* At most this many recommendations in one model. */
#define SG_SCORE_MAX_RECS 4096
/* Room for one human-readable reason of a control change, NUL included. */
#define SG_SCORE_REASON_MAX 128

/* ---- Controls and recommendations as data. ---- */

/* One control of the score model. Strings are copied by sg_score_model_new(). */
typedef struct sg_score_control_def {
    const char *id;      /* e.g. "access" */
    const char *name;    /* e.g. "Manage access and permissions" */
    double max;          /* max points, >= 0, a multiple of 0.01 */
} sg_score_control_def;

/*
 * The default control table (docs/scoring.md: vulnerabilities 6, security-configurations
 * 4, access 4, data-in-transit 4, network 4, ddos 2, best-practices 0). Returns
 * a static array (borrowed, never freed) and stores its length in *n.
 */
const sg_score_control_def *sg_score_default_controls(size_t *n);

/* One recommendation of the model, by its index in the policy catalog. */
typedef struct sg_score_rec_def {
    const char *id;          /* stable id, unique in the model; copied */
    const char *control;     /* control id; may be NULL or unknown when not scored */
    bool scored;             /* counts in the score (built-in, not preview, enabled, configured) */
    bool evaluated;          /* the policy produces findings for it (enabled and configured) */
    uint64_t params_hash;    /* fingerprint of its effective parameters (0 when none) */
} sg_score_rec_def;

/*
 * The model entry for one loaded recommendation: scored only when the
 * recommendation is built-in, not preview, enabled and configured (and the
 * policy says so), evaluated when enabled and configured, and params_hash a
 * fingerprint of its effective parameters. The strings in the result are
 * borrowed from `info`. Pure: calls nothing in the policy module.
 */
sg_score_rec_def sg_score_rec_def_from_info(const sg_rec_info *info);

/* ---- The model. ---- */

typedef struct sg_score_model sg_score_model;

/*
 * Build a model from a control table and the recommendations in catalog
 * order (recs[i] is catalog index i). Fails on: no or too many controls, an
 * empty or duplicate control id, a max that is negative, above 1000000 or not
 * a multiple of 0.01, too many recommendations, an empty or duplicate
 * recommendation id, a scored recommendation that is not evaluated or whose
 * control is not in the table. On success *out holds one reference, released
 * with sg_score_model_free(). Everything is copied.
 */
int sg_score_model_new(const sg_score_control_def *controls, size_t ncontrols,
                       const sg_score_rec_def *recs, size_t nrecs, sg_score_model **out,
                       char *err, size_t errlen);

/*
 * Build the model of a loaded policy: every recommendation of its catalog,
 * through sg_score_rec_def_from_info(), with the control table `controls`
 * (NULL: sg_score_default_controls()). Fails as sg_score_model_new().
 */
int sg_score_model_from_policy(const sg_policy *p, const sg_score_control_def *controls,
                               size_t ncontrols, sg_score_model **out, char *err, size_t errlen);

/* Take one more reference to `m` (returns m). Thread-safe. */
sg_score_model *sg_score_model_ref(sg_score_model *m);
/* Release one reference; the last one frees the model. NULL is ignored. */
void sg_score_model_free(sg_score_model *m);

/* Control `index` of the model (borrowed), or NULL when out of range. */
const sg_score_control_def *sg_score_model_control(const sg_score_model *m, size_t index);
size_t sg_score_model_rec_count(const sg_score_model *m);
/* Catalog index of recommendation `id`, or -1 when the model has none. O(log n). */
long sg_score_model_rec_index(const sg_score_model *m, const char *id);
/* Control index of recommendation `rec`, or -1 when it is not scored or out of range. */
long sg_score_model_rec_control(const sg_score_model *m, size_t rec);

/* ---- Outcomes: what one evaluated object contributes. ---- */

typedef struct sg_score_outcome sg_score_outcome;

/*
 * A new, empty outcome for the resource (group of `api_version`, kind,
 * namespace, name) against model `m` (which it references). `ns` NULL or ""
 * means cluster-scoped; `name` NULL means "". Every evaluated recommendation
 * of `m` starts as not applicable (it produced no finding). Fails when
 * api_version or kind is NULL or empty or a string is longer than 4096 bytes.
 * Free with sg_score_outcome_free().
 */
int sg_score_outcome_new(sg_score_model *m, const char *api_version, const char *kind,
                         const char *ns, const char *name, sg_score_outcome **out,
                         char *err, size_t errlen);

/*
 * Record one finding of recommendation `rec`: it applies; it is unhealthy
 * when any recorded finding of it is `raw_unhealthy` (its status before
 * exemptions); `exemption` is the category of the exemption that matched and
 * has not expired (SG_EXEMPT_NONE otherwise): a waiver makes the resource not
 * applicable for it, mitigated makes it healthy. Call once per finding; per
 * container findings of one recommendation combine. Fails when `rec` is out of
 * range or was not evaluated in the model.
 */
int sg_score_outcome_record(sg_score_outcome *o, size_t rec, bool raw_unhealthy,
                            sg_exemption_category exemption, char *err, size_t errlen);

/* Add one label (what exemptions match on). Copies both strings. */
int sg_score_outcome_label(sg_score_outcome *o, const char *key, const char *value,
                           char *err, size_t errlen);

/*
 * Note that recommendation `rec` is unhealthy in `container`: for people (the
 * dashboard), never read by the score. Names over 253 bytes, and entries past
 * 16 KiB per resource, are left out. Fails when `rec` is out of range.
 */
int sg_score_outcome_container(sg_score_outcome *o, size_t rec, const char *container, char *err,
                               size_t errlen);

/*
 * The outcome of an evaluation against the policy `m` was built from: key and
 * labels from `ev`, every finding recorded (raw_status unhealthy counts as
 * unhealthy; a finding whose exemption expired is recorded without it; a
 * finding whose raw_status is neither healthy nor unhealthy is skipped),
 * ignored when ev->owned or ev->excluded, and the container of every unhealthy
 * finding noted (sg_score_outcome_container). Pure: reads only `ev`.
 */
int sg_score_outcome_from_eval(sg_score_model *m, const sg_eval *ev, sg_score_outcome **out,
                               char *err, size_t errlen);

/* Effective state of one recommendation on an outcome, or of one control. */
typedef enum sg_score_state {
    SG_SCORE_NOT_APPLICABLE,
    SG_SCORE_HEALTHY,
    SG_SCORE_UNHEALTHY
} sg_score_state;

/* State of recommendation `rec` on the outcome, exemptions applied. */
sg_score_state sg_score_outcome_rec_state(const sg_score_outcome *o, size_t rec);
/* State of control `control` on the outcome: the healthy-in-a-control rule. */
sg_score_state sg_score_outcome_control_state(const sg_score_outcome *o, size_t control);

void sg_score_outcome_free(sg_score_outcome *o);

/* ---- Scores. ---- */

typedef struct sg_score_control {
    const char *id;          /* interned: valid for the life of the process */
    const char *name;
    double max;              /* effective max: the configured max, or 0 when it drops out */
    double configured_max;   /* max from the control table */
    double current;          /* max * healthy / (healthy + unhealthy), rounded to 2 decimals */
    double exact;            /* the same, unrounded */
    double potential;        /* max - current */
    size_t healthy, unhealthy, not_applicable;   /* resources */
} sg_score_control;

/*
 * A secure score. A plain value: copy it freely, nothing to free; the id and
 * name pointers are control names, interned for the life of the process, so
 * they stay valid after the model is replaced or freed.
 */
typedef struct sg_score {
    bool has_percent;        /* false: nothing to score ("n/a", JSON null) */
    double percent;          /* from the rounded currents, rounded to 2 decimals */
    double exact_percent;    /* from the unrounded currents */
    double current;          /* sum of the rounded currents */
    double max;              /* sum of the effective maxima */
    size_t resources;        /* resources scored */
    size_t stale_resources;  /* resources whose outcome predates a parameter or standard change */
    size_t ncontrols;
    sg_score_control controls[SG_SCORE_MAX_CONTROLS];
} sg_score;

/*
 * The score of per-control resource counts (arrays of the model's control
 * count; not_applicable may be NULL, meaning zeros). Pure arithmetic, exactly
 * docs/scoring.md: each control's current rounded half up to 2 decimals (in exact
 * integer arithmetic), a control with no healthy and no unhealthy resource
 * dropping out with max 0, the percent computed from the rounded currents.
 * resources and stale_resources are left 0.
 */
void sg_score_compute(const sg_score_model *m, const size_t *healthy, const size_t *unhealthy,
                      const size_t *not_applicable, sg_score *out);

/* ---- The inventory. ---- */

typedef struct sg_inventory sg_inventory;

/* A new, empty inventory scoring with model `m` (it takes its own reference). */
int sg_inventory_new(sg_score_model *m, sg_inventory **out, char *err, size_t errlen);
void sg_inventory_free(sg_inventory *inv);

/*
 * Exchange the resources (and so the counters) of two inventories, as one
 * step under both write locks: a rebuilt inventory replaces the live one
 * without a moment in which predictions see it half filled. Both must score
 * with the same model (the same sg_score_model); otherwise -1 and nothing
 * changes.
 */
int sg_inventory_swap(sg_inventory *a, sg_inventory *b, char *err, size_t errlen);

/* The model the inventory scores with, as a new reference the caller frees. */
sg_score_model *sg_inventory_model(sg_inventory *inv);
/* Number of resources held. */
size_t sg_inventory_count(sg_inventory *inv);
/* The current score. O(controls). */
void sg_inventory_score(sg_inventory *inv, sg_score *out);

/*
 * The score of the resources of namespace `ns` alone (NULL or "": the
 * cluster-scoped ones). O(resources).
 */
void sg_inventory_score_namespace(sg_inventory *inv, const char *ns, sg_score *out);

/* ---- What to fix first (stats.c, listing.c): what the dashboard shows. ---- */

/*
 * What making some unhealthy resources healthy would gain, computed as the
 * score is (DESIGN.md 3): the control's rounded points and the score's percent
 * after minus before (from rounded points, so gains add up to what the score
 * will show), and the unrounded percent change.
 */
typedef struct sg_score_gain {
    double points, percent, exact_percent;
} sg_score_gain;

/* One recommendation over a set of resources. */
typedef struct sg_rec_stats {
    size_t unhealthy;        /* resources on which it is unhealthy, exemptions applied */
    size_t healthy;          /* healthy, no exemption */
    size_t exempt;           /* a waiver or a mitigated exemption applies */
    size_t not_applicable;   /* evaluated, no finding */
    size_t unknown;          /* not evaluated for the resource (stale: enabled or configured since) */
    size_t sole;             /* unhealthy where no other scored one of its control is: fixed by it alone */
    sg_score_gain gain;      /* of remediating it alone (the `sole` resources); 0 when not scored */
} sg_rec_stats;

/* The statistics of the inventory, or of one namespace of it. */
typedef struct sg_stats {
    sg_score_model *model;   /* one reference: recs[i] is recommendation i of this model */
    sg_score score;          /* of the resources counted */
    sg_score_gain control_gain[SG_SCORE_MAX_CONTROLS];   /* all of the control fixed: its potential */
    size_t nrecs;
    sg_rec_stats *recs;
} sg_stats;

/*
 * Statistics of every resource (`ns` NULL), of namespace `ns`, or of the
 * cluster-scoped ones (`ns` ""), scored alone. One pass under the read lock,
 * O(resources x recommendations / 64 + findings). Free with sg_stats_free().
 */
void sg_inventory_stats(sg_inventory *inv, const char *ns, sg_stats *out);
void sg_stats_free(sg_stats *s);

/* Id of recommendation `rec` of the model (borrowed from it), or NULL when out of range. */
const char *sg_score_model_rec_id(const sg_score_model *m, size_t rec);

#define SG_NAMESPACE_TOP 3   /* recommendations a namespace breakdown names to fix first */

/* One namespace's score in a breakdown. */
typedef struct sg_score_namespace {
    char *namespace_;        /* owned by the array; "" for cluster-scoped resources */
    sg_score score;
    size_t ntop;             /* to fix first: greatest gain, then most unhealthy; unhealthy here */
    char *top_ids[SG_NAMESPACE_TOP];     /* owned by the array */
    sg_rec_stats top[SG_NAMESPACE_TOP];  /* over this namespace, gains against its own score */
} sg_score_namespace;

/*
 * Per-namespace breakdown: every namespace with at least one resource, sorted
 * by name, each scored alone with what to fix first in it. *out is a new
 * array of *n entries, freed with sg_score_namespaces_free().
 */
void sg_inventory_namespace_scores(sg_inventory *inv, sg_score_namespace **out, size_t *n);
void sg_score_namespaces_free(sg_score_namespace *list, size_t n);

/* Which resources sg_inventory_rec_resources() lists (bits, combined with |). */
enum { SG_LIST_UNHEALTHY = 1, SG_LIST_HEALTHY = 2, SG_LIST_EXEMPT = 4 };

/* One resource in a listing. */
typedef struct sg_listed_resource {
    const char *group, *kind, *namespace_, *name;   /* borrowed from the page */
    sg_score_state state;                /* of the recommendation on it, exemptions applied */
    sg_exemption_category exemption;     /* the exemption recorded for it, or SG_EXEMPT_NONE */
    json_t *labels;                      /* owned: a JSON object */
    size_t ncontainers;
    const char **containers;             /* borrowed from the page: where it is unhealthy */
} sg_listed_resource;

typedef struct sg_resource_page {
    sg_listed_resource *items;
    size_t count, total;     /* total: resources that match, every page together */
    char *next;              /* continue token of the next page, or NULL on the last one */
    void *internal_;
} sg_resource_page;

/*
 * One page of the resources on which recommendation `rec_id` applies, with
 * the states in `which` (SG_LIST_*), of namespace `ns` (NULL: all; "":
 * cluster-scoped), ordered by namespace, kind, name and group: at most `limit`
 * (1 to 10000) after the one `continue_token` (NULL: from the start) names; a
 * token stays valid whatever changes meanwhile. O(resources log limit). Fails
 * on an unknown recommendation, limit or token, saying which. Free with
 * sg_resource_page_free().
 */
int sg_inventory_rec_resources(sg_inventory *inv, const char *rec_id, const char *ns, unsigned which,
                               const char *continue_token, size_t limit, sg_resource_page *out,
                               char *err, size_t errlen);
void sg_resource_page_free(sg_resource_page *p);

/* The operation of an admission request. */
typedef enum sg_score_op { SG_SCORE_CREATE, SG_SCORE_UPDATE, SG_SCORE_DELETE } sg_score_op;

/* One control whose counts a prediction changes. */
typedef struct sg_score_change {
    size_t control;                 /* index in the model */
    const char *id;                 /* interned: valid for the life of the process */
    double before, after;           /* the control's current points, rounded */
    double exact_delta;             /* unrounded change of its points */
    double before_max, after_max;   /* the control's effective max before and after */
    long healthy_delta, unhealthy_delta;
} sg_score_change;

/*
 * A short human reason for one change, e.g. "access: +1 unhealthy resource,
 * -0.31 points" (the exact change when it rounds to 0.00; a note when the
 * control starts or stops counting), into `buf` (`len` bytes, NUL-terminated,
 * truncated if needed; SG_SCORE_REASON_MAX is enough). Returns buf. Formatted
 * on demand so that predictions stay cheap.
 */
char *sg_score_change_reason(const sg_score_change *c, char *buf, size_t len);

typedef struct sg_score_prediction {
    sg_score before, after;
    bool has_delta;          /* false when before or after has no percent */
    double delta;            /* after.percent - before.percent (both rounded) */
    double exact_delta;      /* after.exact_percent - before.exact_percent */
    bool existed;            /* the resource was in the inventory before */
    size_t nchanges;
    sg_score_change changes[SG_SCORE_MAX_CONTROLS];
} sg_score_prediction;

/*
 * Predict what the request does to the score, without changing the inventory
 * (a dry run). CREATE and UPDATE put the outcome's resource (replacing it when
 * it is already held, so a missed event cannot count a resource twice);
 * DELETE removes the resource of the outcome's key (its findings are not
 * read; a resource not held changes nothing). An ignored outcome changes
 * nothing. An outcome built against another model is mapped by
 * recommendation id. O(controls). Fails only on bad arguments.
 */
int sg_inventory_predict(sg_inventory *inv, sg_score_op op, const sg_score_outcome *o,
                         sg_score_prediction *out, char *err, size_t errlen);

/* A prediction that changes nothing: before and after are the current score. */
void sg_inventory_unchanged(sg_inventory *inv, sg_score_prediction *out);

/*
 * The prediction between two scores of the same model, e.g. a baseline and
 * the baseline with a whole scan applied: before, after, deltas and the
 * per-control changes exactly as sg_inventory_predict() fills them
 * (existed is false). Pure.
 */
void sg_score_diff(const sg_score *before, const sg_score *after, sg_score_prediction *out);

/*
 * Apply the request to the inventory (as sg_inventory_predict describes).
 * Copies what it keeps: the outcome stays the caller's. Fails on bad arguments,
 * and then changes nothing.
 */
int sg_inventory_apply(sg_inventory *inv, sg_score_op op, const sg_score_outcome *o,
                       char *err, size_t errlen);

/*
 * Predict and, unless `dry_run`, apply, as one atomic step under the
 * inventory's write lock: the prediction is exactly what the change did.
 * `out` may be NULL. On failure nothing changes.
 */
int sg_inventory_predict_apply(sg_inventory *inv, sg_score_op op, const sg_score_outcome *o,
                               bool dry_run, sg_score_prediction *out, char *err, size_t errlen);

/* Remove every resource. */
void sg_inventory_clear(sg_inventory *inv);

/*
 * The exemption that applies to recommendation `rec` (index in the new model)
 * for the resource, as sg_policy_exemption_match() decides it: SG_EXEMPT_NONE
 * when none applies or the one that matched has expired. `group` is the API
 * group of its apiVersion ("" for the core group); `ns` is NULL for
 * cluster-scoped resources; `labels` is a JSON object (possibly empty).
 */
typedef sg_exemption_category (*sg_score_exemption_fn)(void *ctx, size_t rec, const char *group, const char *kind,
                                                       const char *ns, const char *name,
                                                       const json_t *labels);

/*
 * Switch to model `m` after a config reload, without the objects: each
 * resource's outcomes are mapped to `m` by recommendation id (recommendations
 * `m` lacks are dropped), exemptions are re-decided with `match` for every
 * recommendation that applies (NULL keeps the recorded ones), and the counters
 * are rebuilt. A resource becomes stale when a scored recommendation of `m`
 * was not evaluated for it (a standard was enabled, a parameter configured)
 * or its parameters changed since (params_hash); it stays counted with what is
 * known until it is put again. O(resources x recommendations). The new table
 * is built aside and swapped in under the write lock. Calling it with the same
 * model and a new time re-applies expiries.
 */
void sg_inventory_reload(sg_inventory *inv, sg_score_model *m, sg_score_exemption_fn match, void *ctx);

/*
 * sg_inventory_reload() with exemptions decided by sg_policy_exemption_match()
 * of `p` at time `now`; `m` must be the model of `p`.
 */
void sg_inventory_reload_policy(sg_inventory *inv, sg_score_model *m, const sg_policy *p, time_t now);

/*
 * Recompute every counter from the resources and compare (SQLite's
 * integrity_check): 0 when they agree, -1 with the first difference in `err`.
 * O(resources). For tests and diagnostics.
 */
int sg_inventory_check(sg_inventory *inv, char *err, size_t errlen);

/* ---- The admission decision (admission.c). ---- */

/*
 * The one decision of scoregate (docs/architecture.md, docs/webhook.md). The webhook's /validate
 * and /mutate, `scan`, `score`, `fix` and the inventory sync all call
 * sg_admission_decide(); they only present its result, so CI and the cluster
 * agree by construction. The mode says what is judged and whether the
 * inventory changes:
 *
 *  VALIDATE  the API server's validating call: the object as it will be
 *            stored. An unhealthy enforce finding is denied (the mutation
 *            that would have fixed it did not happen: the mutating webhook
 *            failed open, timed out or is not registered), with the patch that
 *            would have healed it. Applied when allowed and not a dry run.
 *  MUTATE    the mutating call: the enforce patch is built, the fixed object
 *            judged and predicted; the inventory never changes (validation,
 *            which sees the final object, does that).
 *  ADMIT     both calls in one step, as the API server chains them (scan,
 *            fix): the fixed object judged, predicted and, when allowed and
 *            not a dry run, applied.
 *  RECORD    an object the cluster already holds (score, inventory sync,
 *            baselines): evaluated and put, or removed, whatever its verdict;
 *            no gate. An object that cannot be evaluated is removed (it is
 *            not scored) and the refusal says why.
 *
 * Decisions deny: an unhealthy finding whose action is deny; an unhealthy
 * enforce finding the fix cannot heal (no fix, or the fixed object is still
 * unhealthy for it); at VALIDATE, any unhealthy enforce finding; and the score
 * gate (scoreGate: minScore, maxDrop), which judges the very prediction that
 * is applied, and never blocks a request that keeps or raises the score.
 * DELETE is never denied. Objects in globally excluded namespaces are allowed
 * untouched.
 *
 * Exemptions follow ownership: an exemption that matches a workload covers
 * the objects its controller creates (Deployment -> ReplicaSet -> Pod,
 * CronJob -> Job -> Pod, ...). The inventory remembers every workload with a
 * pod template it was given (allowed and applied, or recorded), owned ones
 * included, with its uid and its own controller reference; an object's
 * controller chain counts only as far as each reference names an object the
 * inventory holds in the namespace with that uid, so a forged
 * ownerReference buys no exemption. On the ephemeralcontainers subresource only findings of
 * ephemeral containers are judged and fixed: the rest of the pod cannot
 * change through it.
 */
typedef enum sg_admission_mode {
    SG_ADMISSION_VALIDATE,
    SG_ADMISSION_MUTATE,
    SG_ADMISSION_ADMIT,
    SG_ADMISSION_RECORD
} sg_admission_mode;

typedef struct sg_admission_request {
    sg_admission_mode mode;
    sg_score_op operation;
    const json_t *object;        /* CREATE, UPDATE: borrowed; must outlive the result */
    const json_t *old_object;    /* DELETE: the object removed, or NULL (then the key below) */
    const char *namespace_;      /* the request's namespace, for objects that name none; NULL: "default" */
    const char *subresource;     /* NULL or "": the object; "ephemeralcontainers" */
    const char *api_version;     /* DELETE without old_object: the resource's key */
    const char *kind;
    const char *name;
    bool dry_run;
    time_t now;                  /* decides which exemptions have expired */
} sg_admission_request;

/* Why a finding is denied. */
typedef enum sg_denial {
    SG_DENIAL_NONE,
    SG_DENIAL_DENY,              /* its action is deny */
    SG_DENIAL_NO_FIX,            /* enforce, and the recommendation has no automatic fix */
    SG_DENIAL_FIX_FAILS,         /* enforce, and its fix does not make the object healthy */
    SG_DENIAL_NOT_FIXED          /* enforce at validation: its fix heals it but was not applied */
} sg_denial;

/* The score gate's verdict. */
typedef struct sg_admission_gate {
    bool denied;
    bool by_max_drop;            /* denied by maxDrop; otherwise by minScore */
    double limit;                /* the configured minScore or maxDrop */
    char message[192];           /* "score gate: the secure score would fall to ..." */
} sg_admission_gate;

typedef struct sg_admission {
    bool allowed;
    bool judged;                 /* eval holds findings (CREATE and UPDATE, not excluded, not refused) */
    bool excluded;               /* in a globally excluded namespace: allowed untouched */
    char refusal[SG_ERRMAX];     /* non-empty: why the object cannot be judged (unreadable where a
                                    check looks, or beyond what the inventory holds); not allowed */
    const char *refused_to;      /* with a refusal: "evaluate" or "score" */
    sg_eval eval;                /* the object as given; valid when judged */
    sg_denial *denials;          /* eval.count entries, when judged (all NONE when recorded) */
    size_t ndenied;              /* findings denied */
    sg_enforcement fix;          /* MUTATE and ADMIT, and VALIDATE with unhealthy enforce findings */
    bool has_fix;
    bool stores_fixed;           /* MUTATE, ADMIT: the patch heals something, so what is stored,
                                    predicted and (when allowed) applied is the fixed object */
    sg_score_prediction prediction;   /* of what is (or would be) stored: the fixed object when patched */
    sg_admission_gate gate;
    bool applied;                /* the inventory changed (a resource, or a controller it remembers) */
    void *internal_;             /* owned storage (the verified owners eval borrows); sg_admission_free */
} sg_admission;

/*
 * Decide one request against `p`, whose score model is `m`
 * (sg_score_model_from_policy), and `inv` (which it may change, see the
 * modes; it may score with another model: outcomes are mapped by id).
 * Returns 0 with *out filled (release it with sg_admission_free), or -1 only
 * on bad arguments, with `err` set; then nothing changed.
 */
int sg_admission_decide(const sg_policy *p, sg_score_model *m, sg_inventory *inv,
                        const sg_admission_request *req, sg_admission *out, char *err, size_t errlen);
void sg_admission_free(sg_admission *a);

/* The JSON Patch the decision sends: the enforce patch of an allowed MUTATE or
 * ADMIT decision when it is not empty, else NULL. Borrowed from `a`. */
const json_t *sg_admission_patch(const sg_admission *a);
/* The evaluation of what is stored: the fixed object's when the patch applies, else the object's. */
const sg_eval *sg_admission_stored(const sg_admission *a);
/* A short text for a denial reason ("its action is deny", ...). */
const char *sg_denial_text(sg_denial d);

/* ---- Persistence. ---- */

/*
 * Save the inventory to `path` crash-safely: write a new file in the same
 * directory, fsync it, rename it over `path`, fsync the directory. The file
 * carries the recommendation ids, each resource's key, labels and outcome bit
 * sets, and a trailer with the payload length and a 64-bit checksum. On
 * failure `path` is untouched and the temporary file removed. The temporary
 * file is `path`.tmp.XXXXXX; those a crash mid-save left are removed by the
 * next save (one saver per path).
 */
int sg_inventory_save(sg_inventory *inv, const char *path, char *err, size_t errlen);

/*
 * Replace the inventory's content with the file at `path`, mapping outcomes
 * to the inventory's model by recommendation id (as sg_inventory_reload(),
 * keeping the recorded exemptions: reload afterwards to re-decide them at the
 * current time). A missing, short, torn or corrupt file is rejected with an
 * error and the inventory is left exactly as it was: never half-loaded.
 */
int sg_inventory_load(sg_inventory *inv, const char *path, char *err, size_t errlen);
/* Same, from `len` bytes in memory (`name` is used in messages). */
int sg_inventory_load_buffer(sg_inventory *inv, const char *name, const void *data, size_t len,
                             char *err, size_t errlen);

/* ---- Score history (history.c, history_codec.c). ---- */

/*
 * The secure score and every control's points over time: a sample whenever
 * the score changes, at most one a minute, kept 24 hours; and one an hour,
 * kept 90 days. At most 1441 + 2161 samples, encoded (versioned JSON) in at
 * most SG_HISTORY_MAX_BYTES (the oldest hourly samples go first), well under
 * a ConfigMap's 1 MiB. Thread-safe: a history has its own lock.
 */
#define SG_HISTORY_MAX_BYTES (512u << 10)

typedef struct sg_history sg_history;

sg_history *sg_history_new(void);   /* empty */
void sg_history_free(sg_history *h);

/*
 * Look at the score at `now` (say every second): a change sample when the
 * score or any control's points differ from the newest sample and the newest
 * change sample is a minute old; an hourly sample when the newest one is an
 * hour old. Samples past their span go. True when a sample was added.
 */
bool sg_history_observe(sg_history *h, const sg_score *s, time_t now);

/*
 * Add every sample of `from` that `into` lacks, by time, controls matched by
 * id, then keep the rules above (spans from the newest sample). True when
 * `into` changed.
 */
bool sg_history_merge(sg_history *into, sg_history *from);

unsigned long sg_history_generation(sg_history *h);   /* changes whenever the content does */
size_t sg_history_count(sg_history *h);               /* samples held, both tiers */

/* The versioned JSON text: a new NUL-terminated string of *len bytes. */
char *sg_history_encode(sg_history *h, size_t *len);
/*
 * Replace the content of `h` with the text `data` (`name` for messages),
 * checked strictly: version (a newer one refused, *newer set when non-NULL),
 * shape, increasing times, ranges, bounds. On error `h` is left as it was.
 */
int sg_history_decode(sg_history *h, const char *name, const char *data, size_t len, bool *newer,
                      char *err, size_t errlen);

/* Save to `path` crash-safely (sg_file_write_atomic); replace the content with `path`'s (decode). */
int sg_history_save(sg_history *h, const char *path, char *err, size_t errlen);
int sg_history_load(sg_history *h, const char *path, char *err, size_t errlen);

/* One sample as read out; points follow the ids of its view. */
typedef struct sg_history_sample {
    time_t time;
    bool has_percent;
    double percent, current, max;   /* as the score: percent rounded to 2 decimals, points */
    bool has_points[SG_SCORE_MAX_CONTROLS];
    double points[SG_SCORE_MAX_CONTROLS];
} sg_history_sample;

typedef struct sg_history_view {
    size_t ncontrols;
    char *ids[SG_SCORE_MAX_CONTROLS];   /* owned */
    size_t count;
    sg_history_sample *samples;         /* owned; oldest first */
} sg_history_view;

/*
 * The samples at or after `since` (0: all) as one series, oldest first: the
 * hourly ones older than the oldest change sample, then the change samples.
 */
void sg_history_view_get(sg_history *h, time_t since, sg_history_view *out);
void sg_history_view_free(sg_history_view *v);

/* The dashboard's /api/v1/history document (docs/dashboard.md). A new reference. */
json_t *sg_history_view_to_json(const sg_history_view *v);

/* ---- JSON shared by the CLI and the webhook (docs/scan.md). ---- */

/*
 * {"percent": number|null, "current", "max", "controls": [{"id", "name",
 * "max", "current", "healthy", "unhealthy", "notApplicable"}]}, plus
 * "staleResources" only when some are stale. A new reference.
 */
json_t *sg_score_to_json(const sg_score *s);

/*
 * {"before", "after", "delta", "exactDelta" (numbers, or null when a side has
 * no score), "controls": [{"id", "before", "after"}] for the controls whose
 * counts change}. A new reference.
 */
json_t *sg_score_prediction_to_json(const sg_score_prediction *p);

#endif
