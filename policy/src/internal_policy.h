/*
 * internal_policy.h - the compiled policy: recommendations with their
 * expressions, exemptions and settings. Built once by settings.c (with
 * catalog_compile.c), then read (never written) by engine.c, fix.c, catalog.c
 * and reads.c.
 */
#ifndef POL_INTERNAL_POLICY_H
#define POL_INTERNAL_POLICY_H

#include "internal_rule.h"
#include "scoregate/policy.h"

typedef struct pol_fix_op {
    pol_expr *when;           /* NULL: always */
    pol_path *path;
    bool remove;
    pol_expr *value;          /* expression, or NULL when value_const is set */
    json_t *value_const;     /* literal JSON from the rule */
    pol_template *fail;       /* a `fail` operation: why the fix cannot apply when `when` holds */
} pol_fix_op;

/* A kind with its API group ("" for the core group), as rules and exemptions name it (kinds.c). */
typedef struct pol_kind {
    char *group;             /* owned */
    char *kind;              /* owned */
} pol_kind;

typedef struct pol_kinds {
    pol_kind *items;
    size_t n;
} pol_kinds;

/* Where a workload kind keeps its pod template (kinds.c, controllers.c). */
typedef struct pol_workload_def {
    const char *group, *kind;
    const char *const *steps;        /* field names from the object to the pod template; none: the object is the pod */
    const char *spec_pointer;        /* JSON Pointer of the pod spec, e.g. "/spec/template/spec" */
    const char *metadata_pointer;    /* JSON Pointer of the pod template's metadata */
    bool custom;                     /* a pod controller: an object without the template has no pod to check */
} pol_workload_def;

/* A pod controller (controllers.c): a custom resource that embeds one pod template. */
#define POL_TEMPLATE_MAX_STEPS 8
typedef struct pol_controller {
    sg_pod_controller info;          /* the public view; its strings are in `text` */
    pol_workload_def def;
    const char *steps[POL_TEMPLATE_MAX_STEPS + 1];
    char *text;                      /* owned: every string above */
} pol_controller;

typedef struct pol_rec {
    sg_rec_info info;        /* the public view; its strings borrow from def */
    const struct sg_policy *policy;   /* the policy it belongs to (its pod controllers name kinds) */
    json_t *def;             /* the definition as loaded (owned) */
    json_t *params;          /* effective parameters (owned) */
    json_t *declared;        /* declared parameters, the common ones included (owned) */
    const json_t *kinds;     /* object scope: kinds it reads; NULL: the workload kinds (as written) */
    pol_kinds gks;           /* the same kinds with their groups, resolved at load */
    pol_expr *applies;        /* NULL: applies whenever kind and scope fit */
    pol_expr *unhealthy;
    pol_template *message;
    pol_chains reads;        /* what applies, unhealthy and message may read (rule_chains.c) */
    pol_fix_op *fix;
    size_t nfix;
    /* The common parameters, resolved at load (borrowed from params; NULL when empty). */
    const json_t *excluded_namespaces, *namespaces, *selector, *excluded_containers, *excluded_images;
} pol_rec;

typedef struct pol_exemption {
    sg_exemption_info info;
    const json_t *recommendations;   /* array of ids */
    const json_t *namespaces, *kinds, *names, *selector;   /* match; NULL = any */
    pol_kinds gks;                   /* kinds with their groups, when `kinds` is given */
} pol_exemption;

struct sg_policy {
    json_t *builtin;             /* the embedded catalog documents (owned) */
    json_t *config;              /* the settings document (owned; empty object for defaults) */
    pol_rec *recs;
    size_t nrecs;
    json_t *standards;           /* enabled standard names (owned) */
    const json_t *excluded_namespaces;
    json_t *default_excluded;    /* owned default for excluded namespaces */
    pol_exemption *exemptions;
    size_t nexemptions;
    pol_controller *controllers;     /* the settings' podControllers, then scoregate's own */
    size_t ncontrollers;
    sg_score_gate_settings gate;
    char *name;                  /* the settings' name for messages ("defaults" without a file) */
    struct sg_linemap *lines;    /* the settings' line map (owned; NULL without a file) */
};

/* The pod template of one object, found by its kind. */
typedef struct pol_workload {
    const pol_workload_def *def;     /* NULL when the kind has no pod template */
    const json_t *pod_spec;          /* NULL when the object has none */
    const json_t *pod_metadata;
    const char *spec_pointer;        /* JSON Pointer of the pod spec, e.g. "/spec/template/spec"; NULL when
                                        there is nothing to check */
    const char *metadata_pointer;    /* JSON Pointer of the pod template metadata */
} pol_workload;

/* kinds.c: the API group of an object (`buf` or a static string), today's
 * group for the legacy extensions/v1beta1 kinds. */
const char *pol_group_of(const char *api_version, const char *kind, char *buf, size_t len);
/* Where `group`/`kind` keeps its pod template (Pod, the workloads, the pod
 * controllers of `p`, which may be NULL), or NULL. */
const pol_workload_def *pol_workload_def_of(const sg_policy *p, const char *group, const char *kind);
/* The group of the built-in Kubernetes kind `kind`, or NULL. */
const char *pol_builtin_group(const char *kind);
/* Whether `group`/`kind` lives outside namespaces (it never gets "default"). */
bool pol_kind_cluster_scoped(const char *group, const char *kind);
/* Find the pod template of `object` (def may be NULL: none). */
void pol_workload_find(const pol_workload_def *def, const json_t *object, pol_workload *out);
bool pol_kinds_match(const pol_kinds *ks, const char *group, const char *kind);
void pol_kinds_free(pol_kinds *ks);
/* controllers.c: the pod controllers of `p` (none when p is NULL). */
const pol_controller *pol_controllers(const sg_policy *p, size_t *n);

/* Label selector (matchLabels/matchExpressions) against labels (may be NULL). */
bool pol_selector_matches(const json_t *selector, const json_t *labels);
/* Validate a selector's shape at load; fills err and returns -1 when malformed. */
int pol_selector_check(const json_t *selector, char *err, size_t errlen);

/* Whether `name` is matched by `list` (exact, or prefix when an entry ends in '*'). */
bool pol_name_listed(const json_t *list, const char *name);

/* Whether recommendation `r` excludes `container` (by name or image). */
bool pol_container_excluded(const pol_rec *r, const json_t *container);
/* The pod spec without the containers `r` excludes and the volumes only they
 * use (pod_view.c): a new object, or NULL when `r` excludes none of them. */
json_t *pol_pod_view(const pol_rec *r, const json_t *pod);

/* The exemption that applies to finding of recommendation `rec` on the
 * resource, or NULL; *expired (never NULL) receives an exemption that matched
 * but has expired at `now`, when no other applies. */
const sg_exemption_info *pol_exemption_find(const sg_policy *p, size_t rec, const char *group, const char *kind,
                                            const char *ns, const char *name, const json_t *labels, time_t now,
                                            const sg_exemption_info **expired);

/* Set the actions `scoregate fix` asks for (fix_set.c; sg_policy_options.fix_only, fix_all). */
int pol_apply_fix_set(sg_policy *p, const sg_policy_options *o, char *err, size_t errlen);
/* Where the kind of the evaluated object keeps its pod template, or NULL (engine.c). */
const pol_workload_def *pol_eval_workload(const sg_eval *ev);
/* reach.c: per recommendation, whether `patch` (JSON Patch operations on an
 * object whose pod template is where `w` says) can change its findings; NULL
 * when it can change every recommendation's. The caller frees the array. */
bool *pol_patch_reach(const sg_policy *p, const json_t *patch, const pol_workload *w);
/* engine.c: the evaluation of `fixed`, which is the object `before` was
 * evaluated from (with the same default namespace, time and owners) with
 * `patch` applied: as sg_policy_evaluate_owned() gives it, but evaluating
 * only the recommendations the patch reaches (and those whose fix was
 * blocked, whose messages say so); the others' findings are before's. */
int pol_evaluate_patched(const sg_policy *p, const json_t *fixed, const char *default_namespace, time_t now,
                         const sg_eval *before, const json_t *patch, sg_eval *out, char *err, size_t errlen);

/* Keep `text` (malloc'd) for the life of the evaluation; returns it. */
const char *pol_eval_keep(sg_eval *ev, char *text);

/* Bind the per-object variables of a rule context. */
void pol_bind_object(pol_rule_ctx *ctx, const json_t *object, const pol_workload *w, const char *kind,
                     const char *ns, const char *name);

#endif
