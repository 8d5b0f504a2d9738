/*
 * engine.c - evaluate one Kubernetes object against the compiled policy.
 *
 * Data path: check the object's shape where rules read it, find the pod
 * template of workload kinds, then run every enabled recommendation whose
 * kind and scope fit (per container for container checks), apply the common
 * parameters and exemptions, and record one finding per check.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal_policy.h"

typedef struct eval_storage {
    char **messages;
    size_t nmessages;
} eval_storage;

/* ---------- workloads ---------- */

static const struct {
    const char *kind;
    const char *const path[5];     /* steps from the object to the pod template */
} workload_kinds[] = {
    {"Pod", {NULL}},
    {"Deployment", {"spec", "template", NULL}},
    {"ReplicaSet", {"spec", "template", NULL}},
    {"StatefulSet", {"spec", "template", NULL}},
    {"DaemonSet", {"spec", "template", NULL}},
    {"Job", {"spec", "template", NULL}},
    {"ReplicationController", {"spec", "template", NULL}},
    {"PodTemplate", {"template", NULL}},
    {"CronJob", {"spec", "jobTemplate", "spec", "template", NULL}},
};

static const char *const spec_pointers[] = {
    "/spec", "/spec/template/spec", "/spec/template/spec", "/spec/template/spec", "/spec/template/spec",
    "/spec/template/spec", "/spec/template/spec", "/template/spec", "/spec/jobTemplate/spec/template/spec",
};
static const char *const metadata_pointers[] = {
    "/metadata", "/spec/template/metadata", "/spec/template/metadata", "/spec/template/metadata",
    "/spec/template/metadata", "/spec/template/metadata", "/spec/template/metadata", "/template/metadata",
    "/spec/jobTemplate/spec/template/metadata",
};

void sg_workload_find(const json_t *object, const char *kind, sg_workload *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < sizeof workload_kinds / sizeof workload_kinds[0]; i++) {
        if (strcmp(kind, workload_kinds[i].kind))
            continue;
        out->spec_pointer = spec_pointers[i];
        out->metadata_pointer = metadata_pointers[i];
        const json_t *t = object;
        for (int k = 0; t && workload_kinds[i].path[k]; k++)
            t = json_object_get(t, workload_kinds[i].path[k]);
        if (!json_is_object(t))
            return;
        out->pod_spec = json_object_get(t, "spec");
        out->pod_metadata = json_object_get(t, "metadata");
        if (!json_is_object(out->pod_spec))
            out->pod_spec = NULL;
        if (!json_is_object(out->pod_metadata))
            out->pod_metadata = NULL;
        return;
    }
}

/* ---------- shape checks ---------- */

static const char *const container_lists[] = {"containers", "initContainers", "ephemeralContainers"};

static int shape_error(char *err, size_t errlen, const char *pointer, const char *field, const char *expected,
                       const json_t *got)
{
    static const char *names[] = {"a mapping", "a list", "a string", "a number", "a number", "a boolean",
                                  "a boolean", "null"};
    char path[256];
    snprintf(path, sizeof path, "%s%s%s", pointer, *field ? "/" : "", field);
    for (char *c = path; *c; c++)
        if (*c == '/')
            *c = '.';
    snprintf(err, errlen, "%s: expected %s, got %s", path + 1, expected, names[json_typeof(got)]);
    return -1;
}

static int expect_type(const json_t *obj, const char *pointer, const char *field, json_type type, char *err,
                       size_t errlen)
{
    static const char *names[] = {"a mapping", "a list", "a string"};
    const json_t *v = json_object_get(obj, field);
    if (!v || json_is_null(v) || json_typeof(v) == type)
        return 0;
    return shape_error(err, errlen, pointer, field, names[type], v);
}

static int check_metadata(const json_t *meta, const char *pointer, char *err, size_t errlen)
{
    if (!meta)
        return 0;
    if (!json_is_object(meta)) {
        snprintf(err, errlen, "%s: expected a mapping", pointer + 1);
        return -1;
    }
    if (expect_type(meta, pointer, "name", JSON_STRING, err, errlen) < 0 ||
        expect_type(meta, pointer, "namespace", JSON_STRING, err, errlen) < 0 ||
        expect_type(meta, pointer, "labels", JSON_OBJECT, err, errlen) < 0 ||
        expect_type(meta, pointer, "annotations", JSON_OBJECT, err, errlen) < 0 ||
        expect_type(meta, pointer, "ownerReferences", JSON_ARRAY, err, errlen) < 0)
        return -1;
    return 0;
}

/* Containers, security contexts and volumes are read by most rules: their
 * shape is checked so that `containers: 5` is an error, never a silent pass. */
static int check_pod_spec(const json_t *object, const char *kind, const sg_workload *w, char *err, size_t errlen)
{
    if (!w->spec_pointer)
        return 0;
    if (!w->pod_spec) {
        snprintf(err, errlen, "%s has no pod template at %s", kind, w->spec_pointer + 1);
        for (char *c = err; *c; c++)
            if (*c == '/')
                *c = '.';
        return -1;
    }
    (void)object;
    const char *sp = w->spec_pointer;
    if (expect_type(w->pod_spec, sp, "securityContext", JSON_OBJECT, err, errlen) < 0 ||
        expect_type(w->pod_spec, sp, "volumes", JSON_ARRAY, err, errlen) < 0 ||
        check_metadata(w->pod_metadata, w->metadata_pointer, err, errlen) < 0)
        return -1;
    for (int l = 0; l < 3; l++) {
        if (expect_type(w->pod_spec, sp, container_lists[l], JSON_ARRAY, err, errlen) < 0)
            return -1;
        const json_t *list = json_object_get(w->pod_spec, container_lists[l]);
        size_t i;
        const json_t *c;
        json_array_foreach(list, i, c) {
            char at[160];
            snprintf(at, sizeof at, "%s/%s/%zu", sp, container_lists[l], i);
            if (!json_is_object(c))
                return shape_error(err, errlen, at, "", "a mapping (a container)", c);
            if (expect_type(c, at, "name", JSON_STRING, err, errlen) < 0 ||
                expect_type(c, at, "image", JSON_STRING, err, errlen) < 0 ||
                expect_type(c, at, "securityContext", JSON_OBJECT, err, errlen) < 0 ||
                expect_type(c, at, "resources", JSON_OBJECT, err, errlen) < 0 ||
                expect_type(c, at, "ports", JSON_ARRAY, err, errlen) < 0 ||
                expect_type(c, at, "volumeMounts", JSON_ARRAY, err, errlen) < 0)
                return -1;
            const json_t *sc = json_object_get(c, "securityContext");
            char scat[200];
            snprintf(scat, sizeof scat, "%s/securityContext", at);
            if (sc && expect_type(sc, scat, "capabilities", JSON_OBJECT, err, errlen) < 0)
                return -1;
        }
    }
    return 0;
}

/* Kinds that live outside namespaces: they never get "default". */
static bool cluster_scoped(const char *kind)
{
    static const char *const kinds[] = {
        "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
        "StorageClass", "PriorityClass", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
        "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "APIService", "CSIDriver", "CSINode",
        "IngressClass", "RuntimeClass", "PodSecurityPolicy", "VolumeAttachment", "CertificateSigningRequest",
        "ClusterIssuer", NULL};
    for (int i = 0; kinds[i]; i++)
        if (!strcmp(kinds[i], kind))
            return true;
    return false;
}

static bool owned_by_controller(const json_t *meta)
{
    size_t i;
    const json_t *ref;
    json_array_foreach(json_object_get(meta, "ownerReferences"), i, ref)
        if (json_is_true(json_object_get(ref, "controller")))
            return true;
    return false;
}

/* ---------- evaluation ---------- */

void sg_bind_object(sg_rule_ctx *ctx, const json_t *object, const sg_workload *w, const char *kind, const char *ns,
                    const char *name)
{
    ctx->vars[SG_VAR_OBJECT] = object;
    ctx->vars[SG_VAR_METADATA] = json_object_get(object, "metadata");
    ctx->vars[SG_VAR_POD] = w->pod_spec;
    ctx->vars[SG_VAR_POD_METADATA] = w->pod_metadata;
    ctx->strvars[SG_VAR_NAMESPACE] = ns;
    ctx->strvars[SG_VAR_KIND] = kind;
    ctx->strvars[SG_VAR_NAME] = name;
}

/* One container of the pod spec, found once per evaluation. */
typedef struct container_ref {
    const json_t *json;
    const char *name;
    const char *image;
    const char *type;      /* containers, initContainers or ephemeralContainers */
    long index;
} container_ref;

typedef struct evaluation {
    const sg_policy *p;
    sg_eval *ev;
    eval_storage *store;
    sg_rule_ctx ctx;
    const sg_workload *w;
    size_t cap;
    time_t now;
    container_ref *containers;
    size_t ncontainers;
} evaluation;

static void collect_containers(evaluation *e)
{
    size_t total = 0;
    for (int l = 0; l < 3; l++)
        total += json_array_size(json_object_get(e->w->pod_spec, container_lists[l]));
    e->containers = calloc(total + 1, sizeof *e->containers);
    if (!e->containers)
        abort();
    for (int l = 0; l < 3; l++) {
        size_t i;
        const json_t *c;
        json_array_foreach(json_object_get(e->w->pod_spec, container_lists[l]), i, c)
            e->containers[e->ncontainers++] = (container_ref){
                c, json_string_value(json_object_get(c, "name")), json_string_value(json_object_get(c, "image")),
                container_lists[l], (long)i};
    }
}

static sg_finding *add_finding(evaluation *e, size_t rec)
{
    sg_eval *ev = e->ev;
    if (ev->count == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 16;
        sg_finding *grown = realloc(ev->findings, e->cap * sizeof *grown);
        if (!grown)
            abort();
        ev->findings = grown;
    }
    sg_finding *f = &ev->findings[ev->count++];
    memset(f, 0, sizeof *f);
    f->rec = rec;
    f->action = e->p->recs[rec].info.action;
    f->container_index = -1;
    return f;
}

static void keep_message(evaluation *e, char *msg)
{
    eval_storage *s = e->store;
    char **grown = realloc(s->messages, (s->nmessages + 1) * sizeof *grown);
    if (!grown)
        abort();
    s->messages = grown;
    s->messages[s->nmessages++] = msg;
}

/* Run one check in the current bindings and record its finding. */
static void check(evaluation *e, size_t rec, const sg_exemption_info *x, bool expired)
{
    const sg_rec *r = &e->p->recs[rec];
    bool unhealthy = sg_expr_test(r->unhealthy, &e->ctx);
    /* Stopped at a limit: fail closed, or a large enough object would pass any check. */
    bool cut = e->ctx.cut;
    unhealthy = unhealthy || cut;
    sg_finding *f = add_finding(e, rec);
    f->raw_status = unhealthy ? SG_STATUS_UNHEALTHY : SG_STATUS_HEALTHY;
    f->status = x ? SG_STATUS_EXEMPT : f->raw_status;
    f->exemption = x ? x->name : NULL;
    f->exemption_category = x ? x->category : SG_EXEMPT_NONE;
    f->exemption_expired = expired;
    if (unhealthy) {
        char *msg = cut ? strdup("the check stopped at scoregate's evaluation limits (the object is too large "
                                 "for it, or a pattern too costly); treated as unhealthy")
                        : sg_template_render(r->message, &e->ctx);
        if (!msg)
            abort();
        keep_message(e, msg);
        f->message = msg;
    }
    sg_rule_ctx_reset(&e->ctx);
}

static bool common_parameters_apply(const sg_rec *r, const sg_eval *ev)
{
    if (r->excluded_namespaces && ev->namespace_ && sg_name_listed(r->excluded_namespaces, ev->namespace_))
        return false;
    if (r->namespaces && !(ev->namespace_ && sg_name_listed(r->namespaces, ev->namespace_)))
        return false;
    return !r->selector || sg_selector_matches(r->selector, ev->labels);
}

static bool kind_fits(const sg_rec *r, const char *kind, const sg_workload *w)
{
    if (strcmp(r->info.scope, "object"))
        return w->pod_spec != NULL;
    size_t i;
    const json_t *k;
    json_array_foreach(r->kinds, i, k)
        if (!strcmp(json_string_value(k), kind))
            return true;
    return false;
}

static void evaluate_rec(evaluation *e, size_t rec)
{
    const sg_rec *r = &e->p->recs[rec];
    sg_eval *ev = e->ev;
    if (!r->info.enabled || !r->info.configured || !kind_fits(r, ev->kind, e->w) || !common_parameters_apply(r, ev))
        return;
    e->ctx.vars[SG_VAR_CONTAINER] = NULL;
    e->ctx.strvars[SG_VAR_CONTAINER_TYPE] = NULL;
    if (r->applies) {
        /* A cut `applies` counts as applying, so the check runs and fails closed. */
        bool applies = sg_expr_test(r->applies, &e->ctx) || e->ctx.cut;
        sg_rule_ctx_reset(&e->ctx);
        if (!applies)
            return;
    }
    bool expired;
    const sg_exemption_info *x =
        sg_policy_exemption_match(e->p, rec, ev->kind, ev->namespace_, ev->name, ev->labels, e->now, &expired);
    if (strcmp(r->info.scope, "container")) {
        check(e, rec, x, expired);
        return;
    }
    for (size_t k = 0; k < e->ncontainers; k++) {
        const container_ref *c = &e->containers[k];
        if (r->excluded_containers && sg_name_listed(r->excluded_containers, c->name))
            continue;
        if (r->excluded_images && sg_name_listed(r->excluded_images, c->image))
            continue;
        e->ctx.vars[SG_VAR_CONTAINER] = c->json;
        e->ctx.strvars[SG_VAR_CONTAINER_TYPE] = c->type;
        check(e, rec, x, expired);
        sg_finding *f = &ev->findings[ev->count - 1];
        f->container = c->name;
        f->container_type = c->type;
        f->container_index = c->index;
    }
}

static int identify(const json_t *object, const char *default_namespace, sg_eval *ev, char *err, size_t errlen)
{
    if (!json_is_object(object)) {
        snprintf(err, errlen, "the object must be a mapping");
        return -1;
    }
    const json_t *kind = json_object_get(object, "kind"), *api = json_object_get(object, "apiVersion");
    if (!json_is_string(kind) || !json_string_length(kind)) {
        snprintf(err, errlen, "the object has no kind (a non-empty string is required)");
        return -1;
    }
    if (!json_is_string(api) || !json_string_length(api)) {
        snprintf(err, errlen, "the object has no apiVersion (a non-empty string is required)");
        return -1;
    }
    const json_t *meta = json_object_get(object, "metadata");
    if (check_metadata(meta, "/metadata", err, errlen) < 0)
        return -1;
    ev->kind = json_string_value(kind);
    ev->api_version = json_string_value(api);
    ev->name = json_string_value(json_object_get(meta, "name"));
    if (!ev->name)
        ev->name = json_string_value(json_object_get(meta, "generateName"));
    ev->labels = json_object_get(meta, "labels");
    ev->owned = owned_by_controller(meta);
    if (!cluster_scoped(ev->kind)) {
        ev->namespace_ = json_string_value(json_object_get(meta, "namespace"));
        if (!ev->namespace_ || !*ev->namespace_)
            ev->namespace_ = default_namespace && *default_namespace ? default_namespace : "default";
    }
    return 0;
}

int sg_policy_evaluate(const sg_policy *p, const json_t *object, const char *default_namespace, time_t now,
                       sg_eval *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    sg_eval ev = {0};
    if (identify(object, default_namespace, &ev, err, errlen) < 0)
        return -1;
    sg_workload w;
    sg_workload_find(object, ev.kind, &w);
    if (check_pod_spec(object, ev.kind, &w, err, errlen) < 0)
        return -1;
    eval_storage *store = calloc(1, sizeof *store);
    if (!store)
        abort();
    ev.internal_ = store;
    ev.excluded = sg_policy_namespace_excluded(p, ev.namespace_);
    if (!ev.excluded) {
        evaluation e = {.p = p, .ev = &ev, .store = store, .w = &w, .now = now};
        sg_rule_ctx_init(&e.ctx);
        e.ctx.cache_on = true;   /* the object is const for the whole evaluation */
        sg_bind_object(&e.ctx, object, &w, ev.kind, ev.namespace_, ev.name);
        if (w.pod_spec)
            collect_containers(&e);
        for (size_t i = 0; i < p->nrecs; i++)
            evaluate_rec(&e, i);
        sg_rule_ctx_free(&e.ctx);
        free(e.containers);
    }
    *out = ev;
    return 0;
}

void sg_eval_free(sg_eval *ev)
{
    if (!ev)
        return;
    eval_storage *s = ev->internal_;
    if (s) {
        for (size_t i = 0; i < s->nmessages; i++)
            free(s->messages[i]);
        free(s->messages);
        free(s);
    }
    free(ev->findings);
    memset(ev, 0, sizeof *ev);
}
