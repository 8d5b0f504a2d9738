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

typedef struct pol_rec {
    sg_rec_info info;        /* the public view; its strings borrow from def */
    json_t *def;             /* the definition as loaded (owned) */
    json_t *params;          /* effective parameters (owned) */
    json_t *declared;        /* declared parameters, the common ones included (owned) */
    const json_t *kinds;     /* object scope: kinds it reads; NULL: the workload kinds */
    pol_expr *applies;        /* NULL: applies whenever kind and scope fit */
    pol_expr *unhealthy;
    pol_template *message;
    pol_fix_op *fix;
    size_t nfix;
    /* The common parameters, resolved at load (borrowed from params; NULL when empty). */
    const json_t *excluded_namespaces, *namespaces, *selector, *excluded_containers, *excluded_images;
} pol_rec;

typedef struct pol_exemption {
    sg_exemption_info info;
    const json_t *recommendations;   /* array of ids */
    const json_t *namespaces, *kinds, *names, *selector;   /* match; NULL = any */
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
    sg_server_settings server;
};

/* Workload kinds and where their pod template lives. */
typedef struct pol_workload {
    const json_t *pod_spec;          /* NULL when the kind has no pod template */
    const json_t *pod_metadata;
    const char *spec_pointer;        /* JSON Pointer of the pod spec, e.g. "/spec/template/spec" */
    const char *metadata_pointer;    /* JSON Pointer of the pod template metadata */
} pol_workload;

/* Whether `kind` has a pod template (Pod and the workload controllers). */
bool pol_workload_kind(const char *kind);
/* Whether `kind` lives outside namespaces (it never gets "default"). */
bool pol_kind_cluster_scoped(const char *kind);

/* Find the pod template of `object` by its kind. */
void pol_workload_find(const json_t *object, const char *kind, pol_workload *out);

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
const sg_exemption_info *pol_exemption_find(const sg_policy *p, size_t rec, const char *kind, const char *ns,
                                            const char *name, const json_t *labels, time_t now,
                                            const sg_exemption_info **expired);

/* Set the actions `scoregate fix` asks for (fix_set.c; sg_policy_options.fix_only, fix_all). */
int pol_apply_fix_set(sg_policy *p, const sg_policy_options *o, char *err, size_t errlen);

/* Keep `text` (malloc'd) for the life of the evaluation; returns it. */
const char *pol_eval_keep(sg_eval *ev, char *text);

/* Bind the per-object variables of a rule context. */
void pol_bind_object(pol_rule_ctx *ctx, const json_t *object, const pol_workload *w, const char *kind,
                     const char *ns, const char *name);

#endif
