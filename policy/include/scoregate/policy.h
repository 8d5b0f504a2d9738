/*
 * scoregate/policy.h - the policy module: the recommendation catalog, the
 * rule engine, settings, exemptions and fixes.
 *
 * This module knows nothing about scores or sockets. It reads the settings
 * and the built-in catalog (YAML, through the doc module), compiles every
 * recommendation once (at load or reload) into an immutable sg_policy, and
 * evaluates objects against it.
 *
 * Conventions (errors, memory, ownership) are those of scoregate/base.h. An
 * sg_policy is immutable after sg_policy_load(); any number of threads may
 * evaluate against it at once.
 */
#ifndef SCOREGATE_POLICY_H
#define SCOREGATE_POLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <scoregate/base.h>

/* ------------------------------------------------------------------ */
/* Kubernetes quantities.                                               */
/* ------------------------------------------------------------------ */

/*
 * Parse a Kubernetes resource quantity ("500m", "0.5", "1e3", "64Gi",
 * "1.5G", "+.5") into its value in base units (cores, bytes). Returns 0 and
 * sets *value on success, -1 when `s` is not a valid quantity. Accepts a JSON
 * number's decimal text too, as the API server does.
 */
int sg_quantity_parse(const char *s, double *value);

/* ------------------------------------------------------------------ */
/* The catalog, settings and evaluation.                                 */
/* ------------------------------------------------------------------ */

typedef enum sg_severity { SG_SEV_LOW, SG_SEV_MEDIUM, SG_SEV_HIGH } sg_severity;

typedef enum sg_action {
    SG_ACTION_DISABLED,
    SG_ACTION_AUDIT,
    SG_ACTION_WARN,
    SG_ACTION_DENY,
    SG_ACTION_ENFORCE
} sg_action;

typedef enum sg_status {
    SG_STATUS_HEALTHY,
    SG_STATUS_UNHEALTHY,
    SG_STATUS_EXEMPT,
    SG_STATUS_NOT_APPLICABLE
} sg_status;

typedef enum sg_exemption_category {
    SG_EXEMPT_NONE,
    SG_EXEMPT_WAIVER,      /* the resource is not applicable for the recommendation */
    SG_EXEMPT_MITIGATED    /* the resource counts as healthy for the recommendation */
} sg_exemption_category;

/* What a recommendation is, as loaded. Every pointer is borrowed from the policy. */
typedef struct sg_rec_info {
    const char *id;          /* stable kebab-case id */
    const char *title;
    const char *standard;    /* "mcsb", "pss-baseline", "pss-restricted" or "custom" */
    const char *control;     /* control id, e.g. "access" */
    const char *remediation;
    const char *scope;       /* "container", "pod" or "object" */
    sg_severity severity;
    bool preview;
    bool builtin;
    bool enabled;            /* its standard is enabled and its action is not disabled */
    bool configured;         /* every parameter it requires is set (else it is inactive) */
    bool scored;             /* builtin, not preview, enabled and configured */
    bool has_fix;
    sg_action action;
    const json_t *parameters;     /* effective parameters: defaults merged with the config */
    const json_t *required;       /* array of parameter names that must be configured */
    const json_t *declared;       /* name -> {type, default, description}, common ones included */
    const json_t *fix;            /* the fix as written (a list of {when, set, value} / {remove}), or NULL */
} sg_rec_info;

/* A control of the secure score model, as configured (ids of docs/scoring.md). */
typedef struct sg_policy sg_policy;

typedef struct sg_policy_options {
    const char *config_path;               /* NULL: embedded defaults only */
    const char *const *extra_standards;    /* added to the config's standards */
    size_t n_extra_standards;
    /*
     * `scoregate fix` with --recommendation or --all: the recommendations whose
     * fixes to apply, by id, or (fix_all) every enabled and configured one that
     * has a fix. They get action enforce (a named one that is disabled in the
     * settings too); every other enforce becomes deny: not fixed, but still a
     * check a fix must not break. A named id that is unknown, has no fix,
     * belongs to a standard that is not enabled or is not configured is a
     * load error.
     */
    const char *const *fix_only;
    size_t n_fix_only;
    bool fix_all;
} sg_policy_options;

/* Load settings and compile every recommendation. On error nothing is returned. */
int sg_policy_load(const sg_policy_options *opts, sg_policy **out, char *err, size_t errlen);
/* Same, from settings text already in memory (`name` is used in messages). */
int sg_policy_load_buffer(const char *name, const char *data, size_t len,
                          const sg_policy_options *opts, sg_policy **out,
                          char *err, size_t errlen);
void sg_policy_free(sg_policy *p);

size_t sg_policy_rec_count(const sg_policy *p);
const sg_rec_info *sg_policy_rec(const sg_policy *p, size_t index);
/* Index of the recommendation `id`, or -1. */
long sg_policy_rec_index(const sg_policy *p, const char *id);

/*
 * Whether evaluating an object of `group` ("" for the core group) and `kind`
 * reads anything but its apiVersion, kind and metadata: true for the workload
 * kinds and pod controllers (their pod template), and for a kind that an
 * enabled object-scope recommendation reads further in its `applies` or
 * `unhealthy` expression (its id goes to *which when `which` is not NULL;
 * NULL for workloads). The inventory sync lists the other kinds as metadata
 * only.
 */
bool sg_policy_reads_beyond_metadata(const sg_policy *p, const char *group, const char *kind, const char **which);
/*
 * Whether an enabled recommendation may see an object's
 * metadata.managedFields (by name, or by taking the object or its metadata
 * whole) in its conditions, messages or fixes. When none may, the webhook
 * does not build that field of the requests it decodes (the API server's
 * bookkeeping: often half an object's bytes); scoregate itself never reads it.
 */
bool sg_policy_reads_managed_fields(const sg_policy *p);

/*
 * Pod controllers: custom resources that embed one pod template, evaluated,
 * fixed, exempted and inventoried like Deployments (docs/recommendations.md):
 * the settings' podControllers first, then scoregate's own (Argo Rollouts,
 * OpenKruise CloneSet, Advanced StatefulSet and Advanced DaemonSet) unless the
 * settings name the same group and kind. Strings are borrowed from the policy.
 */
typedef struct sg_pod_controller {
    const char *api_version;      /* "argoproj.io/v1alpha1" */
    const char *group;            /* "argoproj.io" */
    const char *version;          /* "v1alpha1" */
    const char *kind;             /* "Rollout" */
    const char *resource;         /* the plural of the API's URLs and RBAC: "rollouts" */
    const char *pod_template;     /* the path of the pod template: "spec.template" */
    bool builtin;                 /* scoregate's own entry, not one of the settings */
} sg_pod_controller;
size_t sg_policy_pod_controller_count(const sg_policy *p);
const sg_pod_controller *sg_policy_pod_controller(const sg_policy *p, size_t index);

/* Whether standard `name` is enabled. */
bool sg_policy_standard_enabled(const sg_policy *p, const char *name);
/* Namespaces excluded globally: admissions there are allowed untouched. */
bool sg_policy_namespace_excluded(const sg_policy *p, const char *ns);

/* The settings' scoreGate: the limits of the admission decision, each < 0 when not set. */
typedef struct sg_score_gate_settings {
    double min_score;          /* scoreGate.minScore (percent) */
    double max_drop;           /* scoreGate.maxDrop (points) */
} sg_score_gate_settings;
const sg_score_gate_settings *sg_policy_score_gate(const sg_policy *p);

/*
 * A top-level section of the settings that another module owns and reads
 * itself: `server` is the webhook's (policy knows nothing of sockets, and
 * only checks that it is a mapping). The mapping as loaded, borrowed from
 * `p`, or NULL when the settings have none. Its owner reads it with doc's
 * typed reads (sg_doc_reader), whose messages name the settings' file and
 * line as policy's own do: sg_policy_settings_source gives the name
 * ("defaults" without a file) and the line map (NULL without a file).
 */
const json_t *sg_policy_section(const sg_policy *p, const char *key);
struct sg_linemap;
void sg_policy_settings_source(const sg_policy *p, const char **name, const struct sg_linemap **lines);

/* ------------------------------------------------------------------ */
/* Evaluation.                                                          */
/* ------------------------------------------------------------------ */

typedef struct sg_finding {
    size_t rec;                       /* index into the policy's catalog */
    sg_status status;                 /* after exemptions */
    sg_status raw_status;             /* before exemptions: healthy or unhealthy */
    sg_action action;                 /* the recommendation's action */
    const char *container;            /* borrowed from the object; NULL for pod/object checks */
    const char *container_type;       /* "containers", "initContainers", "ephemeralContainers" or NULL */
    long container_index;             /* index in that list, or -1 */
    const char *message;              /* owned by the evaluation: what is wrong, one line */
    const char *exemption;            /* borrowed: the exemption's name, or NULL */
    sg_exemption_category exemption_category;
    bool exemption_expired;           /* an exemption matched but has expired (so it was ignored) and none
                                         other applies */
    const char *expired_exemption;    /* borrowed: that expired exemption's name, or NULL */
    time_t exemption_expires;         /* when `exemption` expires, or when `expired_exemption` expired;
                                         0 when neither or never */
    const char *fix_blocked;          /* enforce only: why the fix cannot apply, set by sg_policy_fix (and
                                         so sg_policy_enforce); `message` then ends with "; not fixed: "
                                         and this text. NULL otherwise */
} sg_finding;

/*
 * A controller of the object being evaluated (its controller ownerReference,
 * that one's, and so on), as the caller has verified it: the admission
 * decision accepts an owner only when its inventory (or the scan's input so
 * far) holds an object of that kind and name in the namespace, with the uid
 * the reference names. An exemption that matches an owner covers the objects
 * its controller creates (Deployment -> ReplicaSet -> Pod, CronJob -> Job ->
 * Pod), so exempting a workload never leaves the Pods it runs denied.
 */
typedef struct sg_owner {
    const char *group;                /* its API group ("" for the core group) */
    const char *kind;
    const char *name;
    const json_t *labels;             /* the owner's metadata.labels, or NULL */
} sg_owner;

/* The controller ownerReference (`controller: true`) of an object's
 * metadata, borrowed from it, or NULL. */
const json_t *sg_controller_ref(const json_t *metadata);

typedef struct sg_eval {
    const char *api_version;          /* borrowed from the object */
    const char *group;                /* its API group ("" for the core group; today's group for the legacy
                                         extensions/v1beta1 kinds), owned by the evaluation */
    const char *kind;
    const char *namespace_;           /* after defaulting; NULL for cluster-scoped kinds */
    const char *name;
    bool owned;                       /* has a controller ownerReference: not inventoried */
    bool excluded;                    /* in a globally excluded namespace: nothing evaluated */
    bool ephemeral_only;              /* set by the caller for a review of the ephemeralcontainers
                                         subresource: such an update can change only ephemeral
                                         containers (the API server keeps the rest of the Pod), so
                                         sg_policy_fix blocks a fix that must change anything else */
    const json_t *labels;             /* borrowed: metadata.labels, or NULL */
    bool controls_pods;               /* a workload or pod controller with a pod template (not a Pod): it may
                                         own others */
    const sg_owner *owners;           /* borrowed from the caller: the verified controllers whose
                                         exemptions apply too, nearest first (sg_policy_evaluate_owned) */
    size_t nowners;
    sg_finding *findings;             /* every enabled recommendation that applies */
    size_t count;
    void *internal_;                  /* owned storage; release with sg_eval_free */
} sg_eval;

/*
 * Evaluate `object` (a Kubernetes object) against every enabled
 * recommendation. `default_namespace` (may be NULL, meaning "default") is
 * used when the object has none. `now` decides which exemptions have expired.
 * Fails (and fills nothing) when the object is malformed where a
 * recommendation reads it, e.g. `containers: 5`; the message names the field.
 * The object must outlive the result: findings borrow strings from it.
 */
int sg_policy_evaluate(const sg_policy *p, const json_t *object, const char *default_namespace,
                       time_t now, sg_eval *out, char *err, size_t errlen);
/*
 * sg_policy_evaluate() for an owned object whose verified controllers are
 * `owners` (nearest first; borrowed, they must outlive the result): a finding
 * is exempt when an exemption matches the object or one of its owners (the
 * object's own first). sg_policy_enforce() evaluates the fixed object with the
 * same owners.
 */
int sg_policy_evaluate_owned(const sg_policy *p, const json_t *object, const char *default_namespace, time_t now,
                             const sg_owner *owners, size_t nowners, sg_eval *out, char *err, size_t errlen);
void sg_eval_free(sg_eval *ev);

/* An exemption from the settings (borrowed from the policy). */
typedef struct sg_exemption_info {
    const char *name;
    sg_exemption_category category;
    time_t expires;                   /* 0: never */
    const char *justification;
    const json_t *recommendations;    /* the ids it covers, as written */
    const json_t *match;              /* its match as written ({namespaces, kinds, names, labelSelector}), or NULL */
} sg_exemption_info;

/* The exemptions of the settings, in their order (borrowed; NULL when out of range). */
size_t sg_policy_exemption_count(const sg_policy *p);
const sg_exemption_info *sg_policy_exemption(const sg_policy *p, size_t index);

/*
 * The exemption that applies to recommendation `rec` for the resource
 * (API group, kind, namespace, name, labels), or NULL. An exemption that matches but has
 * expired at `now` is not returned; *expired (when non-NULL) then says so.
 * The scoring module uses this to re-apply exemptions after a reload without
 * the objects.
 */
const sg_exemption_info *sg_policy_exemption_match(const sg_policy *p, size_t rec, const char *group,
                                                   const char *kind, const char *ns, const char *name,
                                                   const json_t *labels, time_t now, bool *expired);

/*
 * Build the JSON Patch (RFC 6902) that applies the fixes of every unhealthy
 * finding of `ev` whose action is enforce. Paths are JSON Pointers into
 * `object` (workload pod templates included, "~1" escaping, missing parent
 * objects created). *patch is a new array (possibly empty) the caller frees;
 * when `fixed` is non-NULL it receives the object with the patch applied, a
 * new tree that shares every part no operation touched with `object` (jansson
 * references): neither may be changed in place while the other is in use.
 * Recommendations whose fix does not make the object healthy are
 * left to the caller to deny (sg_policy_enforce() says which). A fix whose
 * `fail` condition holds (it would give an object the API server rejects, or
 * one the check still rejects) is not applied at all: its finding gets
 * fix_blocked, and its message says why. Fixes are applied in catalog order; a
 * blocked one is retried after the others, since another fix may remove what
 * blocks it (privileged-containers before privilege-escalation). When
 * ev->ephemeral_only is set, a fix may change only ephemeral containers.
 */
void sg_policy_fix(const sg_policy *p, const json_t *object, sg_eval *ev, json_t **patch, json_t **fixed);

/*
 * The enforce step of one evaluated object, built once: the JSON Patch of the
 * fixes of its unhealthy enforce findings (as sg_policy_fix builds it), the
 * fixed object, its evaluation, and per finding of `ev` whether the fix heals
 * it (an unhealthy enforce finding that the fixed object no longer has). A
 * finding whose recommendation has no fix, or whose fix does not make the
 * object healthy, is not healed; nor is anything when the fixed object fails
 * a deny or enforce check that the object as given passes (`broken`). The admission decision (scoregate/scoring.h)
 * turns this into denials; nothing else needs to evaluate the fixed object.
 */
typedef struct sg_enforcement {
    json_t *patch;          /* owned: RFC 6902 operations, an empty array when nothing is fixed */
    json_t *fixed;          /* owned: the object with the patch applied; NULL when the patch is empty */
    sg_eval fixed_eval;     /* evaluation of `fixed`, valid when has_fixed_eval */
    bool has_fixed_eval;
    bool *healed;           /* owned: ev->count entries */
    const sg_finding *broken;   /* borrowed from fixed_eval: a deny or enforce finding the fix would make
                                   unhealthy; then nothing is healed. NULL normally */
} sg_enforcement;

void sg_policy_enforce(const sg_policy *p, const json_t *object, sg_eval *ev, const char *default_namespace,
                       time_t now, sg_enforcement *out);
/* Release what sg_policy_enforce() filled (safe on a zeroed struct). */
void sg_enforcement_free(sg_enforcement *e);

/* Names, for output. */
const char *sg_action_name(sg_action a);
const char *sg_status_name(sg_status s);
const char *sg_severity_name(sg_severity s);
const char *sg_exemption_category_name(sg_exemption_category c);

/* ------------------------------------------------------------------ */
/* Results as Policy Reports (wgpolicyk8s.io/v1alpha2), report.c: one  */
/* shape for `scan -f policyreport` and the reports `serve` keeps.      */
/* ------------------------------------------------------------------ */

#define SG_POLICYREPORT_API "wgpolicyk8s.io/v1alpha2"

/* The result of a finding of `rec`: healthy pass; unhealthy fail when `denied` or scored, else warn (the
 * CRD's "non-scored policies whose requirements were not met"); exempt and not applicable skip. */
const char *sg_policyreport_result(const sg_rec_info *rec, sg_status status, bool denied);
/* {apiVersion, kind, namespace, name, uid}, the last three left out when NULL. A new reference. */
json_t *sg_policyreport_resource(const char *api_version, const char *kind, const char *ns, const char *name,
                                 const char *uid);
/*
 * One result: policy = the standard, rule = the id, category = the control, result, scored, severity,
 * message (the title when NULL or empty), resources [`resource`], timestamp `now`, source "scoregate",
 * properties `props` (strings: the CRD's map[string]string), title and remediation added unless set.
 * Takes `resource` and `props`. A new reference.
 */
json_t *sg_policyreport_result_json(const sg_rec_info *rec, const char *result, const char *message,
                                    json_t *resource, const struct timespec *now, json_t *props);
/* A PolicyReport `name` in namespace `ns` (a ClusterPolicyReport when NULL), labelled
 * app.kubernetes.io/managed-by: scoregate, without results. A new reference. */
json_t *sg_policyreport_new(const char *ns, const char *name);
/* Its summary: {pass, fail, warn, error, skip} counted over `results`. A new reference. */
json_t *sg_policyreport_summary(const json_t *results);

#endif
