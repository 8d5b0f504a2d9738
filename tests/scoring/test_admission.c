/*
 * test_admission.c - the one admission decision (sg_admission_decide) on the
 * real policy module: what each mode judges and changes, the enforce step
 * built once, the score gate judging the prediction that is applied, DELETE,
 * refusals, excluded namespaces and the ephemeralcontainers subresource.
 *
 * sg_policy_evaluate_owned (every whole evaluation goes through it) is
 * wrapped at link time (-Wl,--wrap) to count its calls: /mutate must evaluate
 * an object whole once; the fixed object is evaluated again only where the
 * patch reaches (the enforce step's own evaluation, tested against whole ones
 * by tests/policy_cases and the patch fuzz target).
 */
#include <unistd.h>

#include "fixture.h"

int __real_sg_policy_evaluate_owned(const sg_policy *p, const json_t *object, const char *default_namespace,
                                    time_t now, const sg_owner *owners, size_t nowners, sg_eval *out, char *err,
                                    size_t errlen);

static int evaluations;

int __wrap_sg_policy_evaluate_owned(const sg_policy *p, const json_t *object, const char *default_namespace,
                                    time_t now, const sg_owner *owners, size_t nowners, sg_eval *out, char *err,
                                    size_t errlen);
int __wrap_sg_policy_evaluate_owned(const sg_policy *p, const json_t *object, const char *default_namespace,
                                    time_t now, const sg_owner *owners, size_t nowners, sg_eval *out, char *err,
                                    size_t errlen)
{
    evaluations++;
    return __real_sg_policy_evaluate_owned(p, object, default_namespace, now, owners, nowners, out, err, errlen);
}

typedef struct world {
    sg_policy *policy;
    sg_score_model *model;
    sg_inventory *inv;
} world;

static world make(const char *settings)
{
    world w;
    char err[SG_ERRMAX];
    sg_policy_options opts = {0};
    if (sg_policy_load_buffer("test.yaml", settings, strlen(settings), &opts, &w.policy, err, sizeof err) ||
        sg_score_model_from_policy(w.policy, NULL, 0, &w.model, err, sizeof err) ||
        sg_inventory_new(w.model, &w.inv, err, sizeof err))
        fail_msg("world: %s", err);
    return w;
}

static void unmake(world *w)
{
    sg_inventory_free(w->inv);
    sg_score_model_free(w->model);
    sg_policy_free(w->policy);
}

static json_t *object(const char *text)
{
    json_error_t jerr;
    json_t *o = json_loads(text, 0, &jerr);
    if (!o)
        fail_msg("object: %s", jerr.text);
    return o;
}

static sg_admission decide(world *w, sg_admission_mode mode, sg_score_op op, const json_t *obj, const char *sub)
{
    sg_admission_request req = {.mode = mode, .operation = op, .object = op == SG_SCORE_DELETE ? NULL : obj,
                                .old_object = op == SG_SCORE_DELETE ? obj : NULL, .subresource = sub, .now = 0};
    sg_admission a;
    char err[SG_ERRMAX];
    if (sg_admission_decide(w->policy, w->model, w->inv, &req, &a, err, sizeof err) < 0)
        fail_msg("decide: %s", err);
    return a;
}

/* A pod healthy for every built-in recommendation but cpu-memory-limits. */
#define POD_WITHOUT_LIMITS(name, ns)                                                                                  \
    "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"" name "\", \"namespace\": \"" ns        \
    "\"}, \"spec\": {\"automountServiceAccountToken\": false, \"securityContext\": {\"runAsNonRoot\": true,"         \
    " \"runAsUser\": 1000, \"runAsGroup\": 1000, \"appArmorProfile\": {\"type\": \"RuntimeDefault\"}},"              \
    " \"containers\": [{\"name\": \"app\", \"image\": \"nginx\", \"securityContext\": {"                              \
    "\"allowPrivilegeEscalation\": false, \"readOnlyRootFilesystem\": true}}]}}"

static const char enforce_limits[] = "recommendations: {cpu-memory-limits: {action: enforce}}\n";

static long denial_of(const world *w, const sg_admission *a, const char *rec)
{
    for (size_t k = 0; k < a->eval.count; k++)
        if (!strcmp(sg_policy_rec(w->policy, a->eval.findings[k].rec)->id, rec))
            return (long)a->denials[k];
    return -1;
}

static void test_mutate_evaluates_once_whole_and_changes_nothing(void **state)
{
    (void)state;
    world w = make(enforce_limits);
    json_t *pod = object(POD_WITHOUT_LIMITS("p", "shop"));
    evaluations = 0;
    sg_admission a = decide(&w, SG_ADMISSION_MUTATE, SG_SCORE_CREATE, pod, NULL);
    assert_int_equal(evaluations, 1);   /* the object whole; the fixed object only where the patch reaches */
    assert_true(a.fix.has_fixed_eval);
    assert_true(a.allowed);
    assert_true(a.stores_fixed);
    const json_t *patch = sg_admission_patch(&a);
    assert_non_null(patch);
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(patch, 0), "path")), "/resources"));
    assert_false(a.applied);
    assert_int_equal(sg_inventory_count(w.inv), 0);
    /* The prediction is of the fixed object: healthy in every control. */
    assert_true(a.prediction.after.has_percent);
    assert_double_equal(a.prediction.after.percent, 100.0, 1e-9);
    sg_admission_free(&a);

    /* A healthy object needs no enforce step: one evaluation. */
    evaluations = 0;
    json_t *fixed = object(POD_WITHOUT_LIMITS("q", "shop"));
    json_t *c = json_array_get(json_object_get(json_object_get(fixed, "spec"), "containers"), 0);
    json_object_set_new(c, "resources", json_pack("{s:{s:s,s:s}}", "limits", "cpu", "1", "memory", "1Gi"));
    a = decide(&w, SG_ADMISSION_MUTATE, SG_SCORE_CREATE, fixed, NULL);
    assert_int_equal(evaluations, 1);
    assert_true(a.allowed);
    assert_null(sg_admission_patch(&a));
    sg_admission_free(&a);
    json_decref(fixed);
    json_decref(pod);
    unmake(&w);
}

static void test_validate_denies_unapplied_enforce_fix(void **state)
{
    (void)state;
    world w = make(enforce_limits);
    json_t *pod = object(POD_WITHOUT_LIMITS("p", "shop"));
    sg_admission a = decide(&w, SG_ADMISSION_VALIDATE, SG_SCORE_CREATE, pod, NULL);
    assert_false(a.allowed);
    assert_int_equal(denial_of(&w, &a, "cpu-memory-limits"), SG_DENIAL_NOT_FIXED);
    assert_true(a.has_fix);   /* the patch that would have healed it, for the message */
    assert_true(json_array_size(a.fix.patch) > 0);
    assert_null(sg_admission_patch(&a));
    assert_false(a.applied);
    assert_int_equal(sg_inventory_count(w.inv), 0);
    sg_admission_free(&a);

    /* ADMIT (mutation and validation in one step) fixes and applies it. */
    a = decide(&w, SG_ADMISSION_ADMIT, SG_SCORE_CREATE, pod, NULL);
    assert_true(a.allowed);
    assert_true(a.applied);
    assert_int_equal(sg_inventory_count(w.inv), 1);
    sg_score s;
    sg_inventory_score(w.inv, &s);
    assert_double_equal(s.percent, a.prediction.after.percent, 1e-9);
    assert_double_equal(s.percent, 100.0, 1e-9);
    sg_admission_free(&a);
    json_decref(pod);
    unmake(&w);
}

static void test_enforce_without_a_healing_fix_is_denied(void **state)
{
    (void)state;
    world w = make("recommendations: {host-network-ports: {action: enforce}, privileged-containers: {action: deny}}\n");
    json_t *pod = object(POD_WITHOUT_LIMITS("p", "shop"));
    json_object_set_new(json_object_get(pod, "spec"), "hostNetwork", json_true());
    for (int mode = SG_ADMISSION_VALIDATE; mode <= SG_ADMISSION_ADMIT; mode++) {
        sg_admission a = decide(&w, (sg_admission_mode)mode, SG_SCORE_CREATE, pod, NULL);
        assert_false(a.allowed);
        assert_int_equal(denial_of(&w, &a, "host-network-ports"), SG_DENIAL_NO_FIX);
        assert_int_equal(denial_of(&w, &a, "privileged-containers"), SG_DENIAL_NONE);
        assert_int_equal(a.ndenied, 1);
        assert_false(a.applied);
        sg_admission_free(&a);
    }
    assert_int_equal(sg_inventory_count(w.inv), 0);
    json_decref(pod);
    unmake(&w);
}

static void test_gate_judges_the_applied_prediction(void **state)
{
    (void)state;
    world w = make("scoreGate: {minScore: 95}\n");
    json_t *good = object(POD_WITHOUT_LIMITS("good", "shop"));
    json_t *c = json_array_get(json_object_get(json_object_get(good, "spec"), "containers"), 0);
    json_object_set_new(c, "resources", json_pack("{s:{s:s,s:s}}", "limits", "cpu", "1", "memory", "1Gi"));
    sg_admission a = decide(&w, SG_ADMISSION_ADMIT, SG_SCORE_CREATE, good, NULL);
    assert_true(a.allowed);
    assert_false(a.gate.denied);
    assert_true(a.applied);
    sg_admission_free(&a);
    sg_score before;
    sg_inventory_score(w.inv, &before);

    json_t *bad = object(POD_WITHOUT_LIMITS("bad", "shop"));   /* ddos unhealthy: 100% -> 92.86% */
    a = decide(&w, SG_ADMISSION_VALIDATE, SG_SCORE_CREATE, bad, NULL);
    assert_false(a.allowed);
    assert_int_equal(a.ndenied, 0);
    assert_true(a.gate.denied);
    assert_false(a.gate.by_max_drop);
    assert_double_equal(a.gate.limit, 95, 1e-9);
    assert_non_null(strstr(a.gate.message, "minScore"));
    assert_double_equal(a.prediction.after.percent, 92.86, 1e-9);
    assert_false(a.applied);
    sg_admission_free(&a);
    sg_score after;
    sg_inventory_score(w.inv, &after);
    assert_double_equal(after.percent, before.percent, 1e-9);
    assert_int_equal(sg_inventory_count(w.inv), 1);

    /* A delete is never blocked, and a recorded object is put whatever the gate says. */
    a = decide(&w, SG_ADMISSION_RECORD, SG_SCORE_CREATE, bad, NULL);
    assert_true(a.allowed);
    assert_true(a.applied);
    assert_false(a.gate.denied);
    sg_admission_free(&a);
    assert_int_equal(sg_inventory_count(w.inv), 2);
    a = decide(&w, SG_ADMISSION_VALIDATE, SG_SCORE_DELETE, good, NULL);
    assert_true(a.allowed);
    assert_true(a.applied);
    assert_true(a.prediction.existed);
    sg_admission_free(&a);
    assert_int_equal(sg_inventory_count(w.inv), 1);
    json_decref(good);
    json_decref(bad);
    unmake(&w);
}

static void test_dry_run_and_owned_change_nothing(void **state)
{
    (void)state;
    world w = make("defaults: {action: warn}\n");
    json_t *pod = object(POD_WITHOUT_LIMITS("p", "shop"));
    sg_admission_request req = {.mode = SG_ADMISSION_VALIDATE, .operation = SG_SCORE_CREATE, .object = pod,
                                .dry_run = true};
    sg_admission a;
    char err[SG_ERRMAX];
    assert_int_equal(sg_admission_decide(w.policy, w.model, w.inv, &req, &a, err, sizeof err), 0);
    assert_true(a.allowed);
    assert_false(a.applied);
    assert_true(a.prediction.after.has_percent);
    sg_admission_free(&a);
    json_object_set_new(json_object_get(pod, "metadata"), "ownerReferences",
                        json_pack("[{s:s,s:s,s:s,s:s,s:b}]", "apiVersion", "apps/v1", "kind", "ReplicaSet", "name",
                                  "rs", "uid", "u1", "controller", true));
    a = decide(&w, SG_ADMISSION_VALIDATE, SG_SCORE_CREATE, pod, NULL);
    assert_true(a.allowed);
    assert_false(a.applied);
    assert_int_equal(a.prediction.nchanges, 0);
    sg_admission_free(&a);
    assert_int_equal(sg_inventory_count(w.inv), 0);
    json_decref(pod);
    unmake(&w);
}

static void test_refusals_and_excluded_namespaces(void **state)
{
    (void)state;
    world w = make("recommendations: {privileged-containers: {action: deny}}\n");
    json_t *pod = object(POD_WITHOUT_LIMITS("p", "shop"));
    sg_admission a = decide(&w, SG_ADMISSION_RECORD, SG_SCORE_CREATE, pod, NULL);
    assert_true(a.applied);
    sg_admission_free(&a);
    assert_int_equal(sg_inventory_count(w.inv), 1);

    /* Unreadable where a check looks: refused, and a recorded one leaves the inventory. */
    json_object_set_new(json_object_get(pod, "spec"), "containers", json_integer(5));
    a = decide(&w, SG_ADMISSION_VALIDATE, SG_SCORE_UPDATE, pod, NULL);
    assert_false(a.allowed);
    assert_string_equal(a.refused_to, "evaluate");
    assert_non_null(strstr(a.refusal, "containers"));
    assert_false(a.applied);
    sg_admission_free(&a);
    assert_int_equal(sg_inventory_count(w.inv), 1);
    a = decide(&w, SG_ADMISSION_RECORD, SG_SCORE_UPDATE, pod, NULL);
    assert_true(*a.refusal != '\0');
    assert_true(a.applied);
    sg_admission_free(&a);
    assert_int_equal(sg_inventory_count(w.inv), 0);
    json_decref(pod);

    /* kube-system is excluded globally: allowed untouched, even privileged. */
    json_t *sys = object(POD_WITHOUT_LIMITS("p", "kube-system"));
    json_t *c = json_array_get(json_object_get(json_object_get(sys, "spec"), "containers"), 0);
    json_object_set_new(json_object_get(c, "securityContext"), "privileged", json_true());
    a = decide(&w, SG_ADMISSION_VALIDATE, SG_SCORE_CREATE, sys, NULL);
    assert_true(a.allowed);
    assert_true(a.excluded);
    assert_false(a.judged);
    assert_false(a.applied);
    sg_admission_free(&a);
    json_decref(sys);
    unmake(&w);
}

static void test_ephemeral_containers_subresource(void **state)
{
    (void)state;
    world w = make("recommendations: {readonly-root-filesystem: {action: enforce},"
                   " privilege-escalation: {action: deny}}\n");
    json_t *pod = object(POD_WITHOUT_LIMITS("p", "shop"));
    json_t *spec = json_object_get(pod, "spec");
    /* The running container breaks both (it predates the policy); the debug container one. */
    json_t *app = json_object_get(json_array_get(json_object_get(spec, "containers"), 0), "securityContext");
    json_object_set_new(app, "readOnlyRootFilesystem", json_false());
    json_object_set_new(app, "allowPrivilegeEscalation", json_true());
    json_object_set_new(spec, "ephemeralContainers",
                        json_pack("[{s:s,s:s,s:{s:b}}]", "name", "debugger", "image", "busybox", "securityContext",
                                  "allowPrivilegeEscalation", false));
    sg_admission a = decide(&w, SG_ADMISSION_MUTATE, SG_SCORE_UPDATE, pod, "ephemeralcontainers");
    assert_true(a.allowed);   /* the running container's findings cannot change through this subresource */
    const json_t *patch = sg_admission_patch(&a);
    assert_non_null(patch);
    size_t i;
    const json_t *op;
    json_array_foreach(patch, i, op) {
        const char *path = json_string_value(json_object_get(op, "path"));
        assert_non_null(strstr(path, "/spec/ephemeralContainers/0"));
    }
    sg_admission_free(&a);
    /* The whole pod (no subresource) is denied for the running container. */
    a = decide(&w, SG_ADMISSION_MUTATE, SG_SCORE_UPDATE, pod, NULL);
    assert_false(a.allowed);
    sg_admission_free(&a);
    /* status and scale carry nothing to judge. */
    a = decide(&w, SG_ADMISSION_VALIDATE, SG_SCORE_UPDATE, pod, "status");
    assert_true(a.allowed);
    assert_false(a.judged);
    sg_admission_free(&a);
    json_decref(pod);
    unmake(&w);
}

/* A workload of `kind` running as root, owned by `owner` (kind/name/uid) when given. */
static json_t *rooted(const char *api, const char *kind, const char *name, const char *uid, const char *owner_api,
                      const char *owner_kind, const char *owner_name, const char *owner_uid)
{
    json_t *pod = object(POD_WITHOUT_LIMITS("x", "legacy"));
    json_t *spec = json_object_get(pod, "spec");
    json_object_set_new(json_object_get(spec, "securityContext"), "runAsUser", json_integer(0));
    json_t *c = json_array_get(json_object_get(spec, "containers"), 0);
    json_object_set_new(c, "resources", json_pack("{s:{s:s,s:s}}", "limits", "cpu", "1", "memory", "1Gi"));
    json_t *obj = pod;
    if (strcmp(kind, "Pod")) {
        json_t *tmpl = json_pack("{s:{s:{s:s}},s:O}", "metadata", "labels", "app", name, "spec", spec);
        json_t *wspec = !strcmp(kind, "CronJob") ? json_pack("{s:s,s:{s:{s:o}}}", "schedule", "@daily", "jobTemplate",
                                                             "spec", "template", tmpl)
                                                : json_pack("{s:o}", "template", tmpl);
        obj = json_pack("{s:s,s:s,s:{},s:o}", "apiVersion", api, "kind", kind, "metadata", "spec", wspec);
        json_decref(pod);
    }
    json_t *meta = json_object_get(obj, "metadata");
    json_object_set_new(meta, "name", json_string(name));
    json_object_set_new(meta, "namespace", json_string("legacy"));
    json_object_set_new(meta, "uid", json_string(uid));
    if (owner_kind)
        json_object_set_new(meta, "ownerReferences",
                            json_pack("[{s:s,s:s,s:s,s:s,s:b}]", "apiVersion", owner_api, "kind", owner_kind, "name",
                                      owner_name, "uid", owner_uid, "controller", true));
    return obj;
}

static bool admitted(world *w, sg_admission_mode mode, json_t *obj)
{
    sg_admission a = decide(w, mode, SG_SCORE_CREATE, obj, NULL);
    bool allowed = a.allowed;
    sg_admission_free(&a);
    json_decref(obj);
    return allowed;
}

static void test_exemptions_follow_ownership(void **state)
{
    (void)state;
    world w = make("recommendations: {run-as-non-root: {action: deny}}\n"
                   "exemptions:\n"
                   "  - {name: legacy-web, recommendations: [run-as-non-root], category: waiver,\n"
                   "     match: {namespaces: [legacy], kinds: [Deployment], names: [web]}}\n"
                   "  - {name: nightly, recommendations: [run-as-non-root], category: waiver,\n"
                   "     match: {namespaces: [legacy], kinds: [CronJob]}}\n");
    /* The exempt Deployment, the ReplicaSet its controller makes, and that one's Pods. */
    assert_true(admitted(&w, SG_ADMISSION_VALIDATE, rooted("apps/v1", "Deployment", "web", "d-1", 0, 0, 0, 0)));
    assert_true(admitted(&w, SG_ADMISSION_VALIDATE,
                         rooted("apps/v1", "ReplicaSet", "web-5d8f", "r-1", "apps/v1", "Deployment", "web", "d-1")));
    assert_true(admitted(&w, SG_ADMISSION_VALIDATE,
                         rooted("v1", "Pod", "web-5d8f-x1", "p-1", "apps/v1", "ReplicaSet", "web-5d8f", "r-1")));
    /* CronJob -> Job -> Pod. */
    assert_true(admitted(&w, SG_ADMISSION_VALIDATE, rooted("batch/v1", "CronJob", "nightly", "c-1", 0, 0, 0, 0)));
    assert_true(admitted(&w, SG_ADMISSION_VALIDATE,
                         rooted("batch/v1", "Job", "nightly-2891", "j-1", "batch/v1", "CronJob", "nightly", "c-1")));
    assert_true(admitted(&w, SG_ADMISSION_VALIDATE,
                         rooted("v1", "Pod", "nightly-2891-q", "p-2", "batch/v1", "Job", "nightly-2891", "j-1")));
    /* Forged references buy nothing: a wrong uid, an owner never seen, no uid. */
    assert_false(admitted(&w, SG_ADMISSION_VALIDATE,
                          rooted("v1", "Pod", "forged-1", "p-3", "apps/v1", "ReplicaSet", "web-5d8f", "r-999")));
    assert_false(admitted(&w, SG_ADMISSION_VALIDATE,
                          rooted("v1", "Pod", "forged-2", "p-4", "apps/v1", "Deployment", "ghost", "g-1")));
    assert_false(admitted(&w, SG_ADMISSION_VALIDATE,
                          rooted("v1", "Pod", "forged-3", "p-5", "apps/v1", "ReplicaSet", "web-5d8f", "")));
    assert_true(admitted(&w, SG_ADMISSION_VALIDATE, rooted("apps/v1", "Deployment", "web", "d-1", 0, 0, 0, 0)));
    /* A non-exempt Deployment's Pods stay denied, owner or not. */
    assert_false(admitted(&w, SG_ADMISSION_VALIDATE, rooted("apps/v1", "Deployment", "api", "d-2", 0, 0, 0, 0)));

    /* The controllers seen survive a save and a load. */
    char dir[] = "/tmp/sg-admission-XXXXXX", path[64], err[SG_ERRMAX];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/inventory.bin", dir);
    assert_int_equal(sg_inventory_save(w.inv, path, err, sizeof err), 0);
    sg_inventory *loaded;
    assert_int_equal(sg_inventory_new(w.model, &loaded, err, sizeof err), 0);
    assert_int_equal(sg_inventory_load(loaded, path, err, sizeof err), 0);
    unlink(path);
    rmdir(dir);
    sg_inventory *live = w.inv;
    w.inv = loaded;
    assert_true(admitted(&w, SG_ADMISSION_VALIDATE,
                         rooted("v1", "Pod", "web-5d8f-x2", "p-6", "apps/v1", "ReplicaSet", "web-5d8f", "r-1")));

    /* Once the Deployment is deleted, its ReplicaSet no longer vouches for new Pods. */
    json_t *dep = rooted("apps/v1", "Deployment", "web", "d-1", 0, 0, 0, 0);
    sg_admission a = decide(&w, SG_ADMISSION_VALIDATE, SG_SCORE_DELETE, dep, NULL);
    sg_admission_free(&a);
    json_decref(dep);
    assert_false(admitted(&w, SG_ADMISSION_VALIDATE,
                          rooted("v1", "Pod", "web-5d8f-x3", "p-7", "apps/v1", "ReplicaSet", "web-5d8f", "r-1")));
    sg_inventory_free(live);
    unmake(&w);
}

/* Pod controllers own what they create, as Deployments do, and kinds go with
 * their API group: an exemption of the built-in StatefulSet does not cover an
 * OpenKruise one of the same name, nor its Pods. */
static void test_pod_controllers_and_groups(void **state)
{
    (void)state;
    world w = make("recommendations: {run-as-non-root: {action: deny}}\n"
                   "exemptions:\n"
                   "  - {name: canary, recommendations: [run-as-non-root], category: waiver,\n"
                   "     match: {kinds: [Rollout], names: [web]}}\n"
                   "  - {name: db, recommendations: [run-as-non-root], category: waiver,\n"
                   "     match: {kinds: [StatefulSet], names: [db]}}\n"
                   "  - {name: kruise-cache, recommendations: [run-as-non-root], category: waiver,\n"
                   "     match: {kinds: [apps.kruise.io/StatefulSet], names: [cache]}}\n");
    /* Argo Rollout -> ReplicaSet -> Pod. */
    assert_true(admitted(&w, SG_ADMISSION_VALIDATE, rooted("argoproj.io/v1alpha1", "Rollout", "web", "o-1", 0, 0, 0, 0)));
    assert_true(admitted(&w, SG_ADMISSION_VALIDATE, rooted("apps/v1", "ReplicaSet", "web-7c9", "r-1",
                                                           "argoproj.io/v1alpha1", "Rollout", "web", "o-1")));
    assert_true(admitted(&w, SG_ADMISSION_VALIDATE,
                         rooted("v1", "Pod", "web-7c9-a", "p-1", "apps/v1", "ReplicaSet", "web-7c9", "r-1")));
    /* The built-in StatefulSet db is exempt, Kruise's db is not, nor are its Pods. */
    assert_true(admitted(&w, SG_ADMISSION_VALIDATE, rooted("apps/v1", "StatefulSet", "db", "s-1", 0, 0, 0, 0)));
    assert_false(admitted(&w, SG_ADMISSION_VALIDATE, rooted("apps.kruise.io/v1beta1", "StatefulSet", "db", "k-1", 0, 0,
                                                            0, 0)));
    assert_false(admitted(&w, SG_ADMISSION_VALIDATE,
                          rooted("v1", "Pod", "db-0", "p-2", "apps.kruise.io/v1beta1", "StatefulSet", "db", "k-1")));
    assert_true(admitted(&w, SG_ADMISSION_VALIDATE,
                         rooted("v1", "Pod", "db-1", "p-3", "apps/v1", "StatefulSet", "db", "s-1")));
    /* Named with its group, Kruise's StatefulSet and its Pods are exempt. */
    assert_true(admitted(&w, SG_ADMISSION_VALIDATE,
                         rooted("apps.kruise.io/v1beta1", "StatefulSet", "cache", "k-2", 0, 0, 0, 0)));
    assert_true(admitted(&w, SG_ADMISSION_VALIDATE,
                         rooted("v1", "Pod", "cache-0", "p-4", "apps.kruise.io/v1beta1", "StatefulSet", "cache",
                                "k-2")));
    /* A Volcano Job is no Job: a custom resource with nothing to check, whatever it holds. */
    json_t *vj = rooted("batch.volcano.sh/v1alpha1", "Job", "train", "v-1", 0, 0, 0, 0);
    sg_admission a = decide(&w, SG_ADMISSION_VALIDATE, SG_SCORE_CREATE, vj, NULL);
    assert_true(a.allowed);
    assert_int_equal(a.eval.count, 0);
    assert_false(a.eval.controls_pods);
    assert_string_equal(a.eval.group, "batch.volcano.sh");
    sg_admission_free(&a);
    json_decref(vj);
    unmake(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mutate_evaluates_once_whole_and_changes_nothing),
        cmocka_unit_test(test_validate_denies_unapplied_enforce_fix),
        cmocka_unit_test(test_enforce_without_a_healing_fix_is_denied),
        cmocka_unit_test(test_gate_judges_the_applied_prediction),
        cmocka_unit_test(test_dry_run_and_owned_change_nothing),
        cmocka_unit_test(test_refusals_and_excluded_namespaces),
        cmocka_unit_test(test_ephemeral_containers_subresource),
        cmocka_unit_test(test_exemptions_follow_ownership),
        cmocka_unit_test(test_pod_controllers_and_groups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
