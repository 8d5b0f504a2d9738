/*
 * engine.c - evaluate one Kubernetes object against the compiled policy.
 *
 * Data path: check the object's shape where rules read it, find the pod
 * template of workload kinds, then run every enabled recommendation whose
 * kind and scope fit (per container for container checks), apply the common
 * parameters and exemptions, and record one finding per check. An object
 * just fixed is evaluated again only where its patch reaches (reach.c); the
 * other recommendations keep their findings from before the fix.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal_policy.h"

typedef struct eval_storage {
    const pol_workload_def *workload;   /* where the object's kind keeps its pod template, or NULL */
    char group[256];         /* the object's API group (sg_eval.group) */
    char **messages;
    size_t nmessages;
    json_t **views;          /* pod views of this evaluation (pod_view.c), freed with it */
    size_t nviews;
    int regex_cuts;          /* patterns stopped at their limits in this evaluation (rule_eval.c) */
} eval_storage;

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

/* Whether obj.field is there, not null, and not of `type`. */
static bool wrong_type(const json_t *obj, const char *field, json_type type)
{
    const json_t *v = json_object_get(obj, field);
    return v && !json_is_null(v) && json_typeof(v) != type;
}

static int expect_type(const json_t *obj, const char *pointer, const char *field, json_type type, char *err,
                       size_t errlen)
{
    static const char *names[] = {"a mapping", "a list", "a string"};
    if (!wrong_type(obj, field, type))
        return 0;
    return shape_error(err, errlen, pointer, field, names[type], json_object_get(obj, field));
}

/* One container's shape. Its location is spelled out only for an error:
 * formatting it for every container of every evaluation cost more than the
 * checks. */
static int check_container(const json_t *c, const char *sp, const char *list, size_t i, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        json_type type;
    } fields[] = {{"name", JSON_STRING},       {"image", JSON_STRING}, {"securityContext", JSON_OBJECT},
                  {"resources", JSON_OBJECT},  {"ports", JSON_ARRAY},  {"volumeMounts", JSON_ARRAY}};
    bool bad = !json_is_object(c);
    for (size_t k = 0; k < sizeof fields / sizeof *fields && !bad; k++)
        bad = wrong_type(c, fields[k].name, fields[k].type);
    const json_t *sc = bad ? NULL : json_object_get(c, "securityContext");
    if (!bad && !(sc && wrong_type(sc, "capabilities", JSON_OBJECT)))
        return 0;
    char at[160];
    snprintf(at, sizeof at, "%s/%s/%zu", sp, list, i);
    if (!json_is_object(c))
        return shape_error(err, errlen, at, "", "a mapping (a container)", c);
    for (size_t k = 0; k < sizeof fields / sizeof *fields; k++)
        if (expect_type(c, at, fields[k].name, fields[k].type, err, errlen) < 0)
            return -1;
    char scat[200];
    snprintf(scat, sizeof scat, "%s/securityContext", at);
    return expect_type(sc, scat, "capabilities", JSON_OBJECT, err, errlen);
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
static int check_pod_spec(const char *kind, const pol_workload *w, char *err, size_t errlen)
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
        json_array_foreach(list, i, c)
            if (check_container(c, sp, container_lists[l], i, err, errlen) < 0)
                return -1;
    }
    return 0;
}

const json_t *sg_controller_ref(const json_t *metadata)
{
    size_t i;
    const json_t *ref;
    json_array_foreach(json_object_get(metadata, "ownerReferences"), i, ref)
        if (json_is_true(json_object_get(ref, "controller")))
            return ref;
    return NULL;
}

/* ---------- evaluation ---------- */

void pol_bind_object(pol_rule_ctx *ctx, const json_t *object, const pol_workload *w, const char *kind, const char *ns,
                     const char *name)
{
    ctx->vars[POL_VAR_OBJECT] = object;
    ctx->vars[POL_VAR_METADATA] = json_object_get(object, "metadata");
    ctx->vars[POL_VAR_POD] = w->pod_spec;
    ctx->vars[POL_VAR_POD_METADATA] = w->pod_metadata;
    ctx->strvars[POL_VAR_NAMESPACE] = ns;
    ctx->strvars[POL_VAR_KIND] = kind;
    ctx->strvars[POL_VAR_NAME] = name;
}

/* One container of the pod spec, found once per evaluation. */
typedef struct container_ref {
    const json_t *json;
    const char *name;
    const char *type;      /* containers, initContainers or ephemeralContainers */
    long index;
} container_ref;

typedef struct evaluation {
    const sg_policy *p;
    sg_eval *ev;
    eval_storage *store;
    pol_rule_ctx ctx;
    const pol_workload *w;
    size_t cap;
    time_t now;
    container_ref *containers;
    size_t ncontainers;
    size_t list_start[3];    /* where each of container_lists begins in containers */
} evaluation;

static void collect_containers(evaluation *e)
{
    size_t total = 0;
    for (int l = 0; l < 3; l++)
        total += json_array_size(json_object_get(e->w->pod_spec, container_lists[l]));
    e->containers = sg_calloc(total + 1, sizeof *e->containers);
    for (int l = 0; l < 3; l++) {
        size_t i;
        const json_t *c;
        e->list_start[l] = e->ncontainers;
        json_array_foreach(json_object_get(e->w->pod_spec, container_lists[l]), i, c)
            e->containers[e->ncontainers++] = (container_ref){
                c, json_string_value(json_object_get(c, "name")), container_lists[l], (long)i};
    }
}

static sg_finding *add_finding(evaluation *e, size_t rec)
{
    sg_eval *ev = e->ev;
    if (ev->count == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 16;
        sg_finding *grown = sg_realloc(ev->findings, e->cap * sizeof *grown);
        ev->findings = grown;
    }
    sg_finding *f = &ev->findings[ev->count++];
    memset(f, 0, sizeof *f);
    f->rec = rec;
    f->action = e->p->recs[rec].info.action;
    f->container_index = -1;
    return f;
}

static void store_message(eval_storage *s, char *msg)
{
    char **grown = sg_realloc(s->messages, (s->nmessages + 1) * sizeof *grown);
    s->messages = grown;
    s->messages[s->nmessages++] = msg;
}

static void keep_message(evaluation *e, char *msg)
{
    store_message(e->store, msg);
}

const char *pol_eval_keep(sg_eval *ev, char *text)
{
    store_message(ev->internal_, text);
    return text;
}

/* The pod as rule `r` sees it (pod_view.c); views live as long as the
 * evaluation, so the field cache never sees a freed node's address reused. */
static const json_t *pod_view(evaluation *e, const pol_rec *r)
{
    json_t *view = pol_pod_view(r, e->w->pod_spec);
    if (!view)
        return e->w->pod_spec;
    eval_storage *s = e->store;
    json_t **grown = sg_realloc(s->views, (s->nviews + 1) * sizeof *grown);
    s->views = grown;
    s->views[s->nviews++] = view;
    return view;
}

/* The exemption of one recommendation on the object being evaluated. */
typedef struct exemption_state {
    const sg_exemption_info *active;    /* the finding is exempt */
    const sg_exemption_info *expired;   /* matched but expired: ignored, and reported */
} exemption_state;

/* The object's own exemption first, then its verified controllers' (an
 * exemption of a workload covers what its controller creates). An expired
 * match is reported only when no active one applies. */
static void find_exemption(const evaluation *e, size_t rec, exemption_state *x)
{
    const sg_eval *ev = e->ev;
    x->active = pol_exemption_find(e->p, rec, ev->group, ev->kind, ev->namespace_, ev->name, ev->labels, e->now,
                                   &x->expired);
    for (size_t i = 0; !x->active && i < ev->nowners; i++) {
        const sg_owner *o = &ev->owners[i];
        const sg_exemption_info *expired = NULL;
        x->active = pol_exemption_find(e->p, rec, o->group ? o->group : "", o->kind, ev->namespace_, o->name,
                                       o->labels, e->now, &expired);
        if (!x->expired)
            x->expired = expired;
    }
}

static void apply_exemption(sg_finding *f, const exemption_state *x)
{
    f->status = x->active ? SG_STATUS_EXEMPT : f->raw_status;
    f->exemption = x->active ? x->active->name : NULL;
    f->exemption_category = x->active ? x->active->category : SG_EXEMPT_NONE;
    f->exemption_expired = !x->active && x->expired;
    f->expired_exemption = f->exemption_expired ? x->expired->name : NULL;
    f->exemption_expires = x->active ? x->active->expires : f->exemption_expired ? x->expired->expires : 0;
}

/* How a condition came out. Only true and false can be trusted: a check
 * stopped at a limit, or an expression that gave neither a boolean nor null
 * (a rule mistake only the object shows), fails closed. */
typedef enum outcome { OUT_FALSE, OUT_TRUE, OUT_CUT, OUT_NOT_BOOL } outcome;

static outcome run_condition(evaluation *e, const pol_expr *x)
{
    pol_value v = pol_expr_eval(x, &e->ctx);
    outcome o = e->ctx.cut                      ? OUT_CUT
                : v.t == POL_V_BOOL              ? (v.b ? OUT_TRUE : OUT_FALSE)
                : v.t == POL_V_NULL              ? OUT_FALSE
                                                : OUT_NOT_BOOL;
    pol_rule_ctx_reset(&e->ctx);
    return o;
}

/* The message of a finding that failed closed. */
static char *closed_message(const pol_rec *r, outcome o, const char *part)
{
    char buf[512];
    if (o == OUT_CUT)
        snprintf(buf, sizeof buf, "the check stopped at scoregate's evaluation limits (the object is too large for "
                 "it, or a pattern too costly); treated as unhealthy");
    else
        snprintf(buf, sizeof buf, "rule error in %s: '%s' gave neither true nor false for this object; treated "
                 "as unhealthy", r->info.id, part);
    return sg_strdup(buf);
}

/* Run one check in the current bindings and record its finding. `pre` is how
 * `applies` came out (OUT_TRUE when the rule has none). */
static sg_finding *check(evaluation *e, size_t rec, outcome pre, const exemption_state *x)
{
    const pol_rec *r = &e->p->recs[rec];
    outcome o = pre == OUT_TRUE ? run_condition(e, r->unhealthy) : pre;
    bool unhealthy = o != OUT_FALSE;
    sg_finding *f = add_finding(e, rec);
    f->raw_status = unhealthy ? SG_STATUS_UNHEALTHY : SG_STATUS_HEALTHY;
    apply_exemption(f, x);
    if (unhealthy) {
        char *msg = o == OUT_TRUE ? pol_template_render(r->message, &e->ctx)
                                  : closed_message(r, o, pre == OUT_TRUE ? "unhealthy" : "applies");
        keep_message(e, msg);
        f->message = msg;
        pol_rule_ctx_reset(&e->ctx);
    }
    return f;
}

/* Whether the rule applies in the current bindings: OUT_FALSE skips the
 * check; anything else runs it (a cut or non-boolean `applies` fails closed). */
static outcome applies(evaluation *e, const pol_rec *r)
{
    return r->applies ? run_condition(e, r->applies) : OUT_TRUE;
}

static bool common_parameters_apply(const pol_rec *r, const sg_eval *ev)
{
    if (r->excluded_namespaces && ev->namespace_ && pol_name_listed(r->excluded_namespaces, ev->namespace_))
        return false;
    if (r->namespaces && !(ev->namespace_ && pol_name_listed(r->namespaces, ev->namespace_)))
        return false;
    return !r->selector || pol_selector_matches(r->selector, ev->labels);
}

/* Object checks run on their kinds; pod and container checks on pod specs,
 * of the kinds they list when they list any. Kinds match with their group. */
static bool kind_fits(const pol_rec *r, const sg_eval *ev, const pol_workload *w)
{
    if (!strcmp(r->info.scope, "object"))
        return pol_kinds_match(&r->gks, ev->group, ev->kind);
    return w->pod_spec != NULL && (!r->kinds || pol_kinds_match(&r->gks, ev->group, ev->kind));
}

static void evaluate_containers(evaluation *e, size_t rec, const exemption_state *x)
{
    const pol_rec *r = &e->p->recs[rec];
    for (size_t k = 0; k < e->ncontainers; k++) {
        const container_ref *c = &e->containers[k];
        if (pol_container_excluded(r, c->json))
            continue;
        e->ctx.vars[POL_VAR_CONTAINER] = c->json;
        e->ctx.strvars[POL_VAR_CONTAINER_TYPE] = c->type;
        outcome pre = applies(e, r);
        if (pre == OUT_FALSE)
            continue;
        sg_finding *f = check(e, rec, pre, x);
        f->container = c->name;
        f->container_type = c->type;
        f->container_index = c->index;
    }
    e->ctx.vars[POL_VAR_CONTAINER] = NULL;
    e->ctx.strvars[POL_VAR_CONTAINER_TYPE] = NULL;
}

/* Pod and object checks, in one set of bindings; a pod check with excluded
 * containers judges the pod without them (see pod_view.c). */
static void evaluate_whole(evaluation *e, size_t rec, const exemption_state *x)
{
    const pol_rec *r = &e->p->recs[rec];
    const json_t *pod = e->ctx.vars[POL_VAR_POD];
    if (!strcmp(r->info.scope, "pod") && (r->excluded_containers || r->excluded_images))
        e->ctx.vars[POL_VAR_POD] = pod_view(e, r);
    outcome pre = applies(e, r);
    if (pre != OUT_FALSE)
        check(e, rec, pre, x);
    e->ctx.vars[POL_VAR_POD] = pod;
}

static void evaluate_rec(evaluation *e, size_t rec)
{
    const pol_rec *r = &e->p->recs[rec];
    sg_eval *ev = e->ev;
    if (!r->info.enabled || !r->info.configured || !kind_fits(r, ev, e->w) || !common_parameters_apply(r, ev))
        return;
    exemption_state x;
    find_exemption(e, rec, &x);
    if (!strcmp(r->info.scope, "container"))
        evaluate_containers(e, rec, &x);
    else
        evaluate_whole(e, rec, &x);
}

/* The name of the container at `index` of list `type` in this object. */
static const char *container_name(const evaluation *e, const char *type, long index)
{
    for (int l = 0; l < 3; l++) {
        size_t k = e->list_start[l] + (size_t)index;
        if (!strcmp(type, container_lists[l]) && index >= 0 && k < e->ncontainers &&
            e->containers[k].type == container_lists[l])
            return e->containers[k].name;
    }
    return NULL;
}

/* Copy before's findings of recommendation `rec`, from *at on (they come in
 * catalog order), into this evaluation: the patch cannot change them. As a
 * fresh evaluation would give them: the recommendation's own action, no
 * blocked fix, the message copied, the container named from this object. */
static void copy_findings(evaluation *e, const sg_eval *before, size_t *at, size_t rec)
{
    while (*at < before->count && before->findings[*at].rec < rec)
        (*at)++;
    for (; *at < before->count && before->findings[*at].rec == rec; (*at)++) {
        const sg_finding *b = &before->findings[*at];
        sg_finding *f = add_finding(e, rec);
        *f = *b;
        f->action = e->p->recs[rec].info.action;
        f->fix_blocked = NULL;
        if (b->message) {
            char *msg = sg_strdup(b->message);
            keep_message(e, msg);
            f->message = msg;
        }
        if (b->container_type)
            f->container = container_name(e, b->container_type, b->container_index);
    }
}

/* Which recommendations to evaluate again on the object `before` was
 * evaluated from with `patch` applied (NULL: all, or no `before`). */
static bool *to_evaluate(const sg_policy *p, const sg_eval *before, const json_t *patch, const pol_workload *w)
{
    if (!before)
        return NULL;
    bool *redo = pol_patch_reach(p, patch, w);
    for (size_t i = 0; redo && i < before->count; i++)
        if (before->findings[i].fix_blocked)
            redo[before->findings[i].rec] = true;
    return redo;
}

static int identify(const json_t *object, sg_eval *ev, char *err, size_t errlen)
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
    ev->owned = sg_controller_ref(meta) != NULL;
    return 0;
}

/* The object's group, its namespace after defaulting, and its pod template. */
static void place(const sg_policy *p, const json_t *object, const char *default_namespace, sg_eval *ev,
                  eval_storage *store, pol_workload *w)
{
    ev->group = pol_group_of(ev->api_version, ev->kind, store->group, sizeof store->group);
    if (!pol_kind_cluster_scoped(ev->group, ev->kind)) {
        ev->namespace_ = json_string_value(json_object_get(json_object_get(object, "metadata"), "namespace"));
        if (!ev->namespace_ || !*ev->namespace_)
            ev->namespace_ = default_namespace && *default_namespace ? default_namespace : "default";
    }
    store->workload = pol_workload_def_of(p, ev->group, ev->kind);
    pol_workload_find(store->workload, object, w);
    ev->controls_pods = store->workload && store->workload->steps[0];
}

const pol_workload_def *pol_eval_workload(const sg_eval *ev)
{
    const eval_storage *s = ev->internal_;
    return s ? s->workload : NULL;
}

int sg_policy_evaluate(const sg_policy *p, const json_t *object, const char *default_namespace, time_t now,
                       sg_eval *out, char *err, size_t errlen)
{
    return sg_policy_evaluate_owned(p, object, default_namespace, now, NULL, 0, out, err, errlen);
}

/* Evaluate `object`; with `before`, only what `patch` reaches (pol_evaluate_patched). */
static int evaluate(const sg_policy *p, const json_t *object, const char *default_namespace, time_t now,
                    const sg_owner *owners, size_t nowners, const sg_eval *before, const json_t *patch, sg_eval *out,
                    char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    sg_eval ev = {.owners = owners, .nowners = nowners};
    if (identify(object, &ev, err, errlen) < 0)
        return -1;
    eval_storage *store = sg_calloc(1, sizeof *store);
    ev.internal_ = store;
    pol_workload w;
    place(p, object, default_namespace, &ev, store, &w);
    if (check_pod_spec(ev.kind, &w, err, errlen) < 0) {
        sg_eval_free(&ev);
        return -1;
    }
    ev.excluded = sg_policy_namespace_excluded(p, ev.namespace_);
    if (!ev.excluded) {
        evaluation e = {.p = p, .ev = &ev, .store = store, .w = &w, .now = now};
        pol_rule_ctx_init(&e.ctx);
        e.ctx.cache_on = true;   /* the object is const for the whole evaluation */
        pol_bind_object(&e.ctx, object, &w, ev.kind, ev.namespace_, ev.name);
        if (w.pod_spec)
            collect_containers(&e);
        bool *redo = to_evaluate(p, before, patch, &w);
        size_t at = 0;
        for (size_t i = 0; i < p->nrecs; i++) {
            if (!redo || redo[i])
                evaluate_rec(&e, i);
            else
                copy_findings(&e, before, &at, i);
        }
        free(redo);
        store->regex_cuts = e.ctx.regex_cuts;
        pol_rule_ctx_free(&e.ctx);
        free(e.containers);
    }
    *out = ev;
    return 0;
}

int sg_policy_evaluate_owned(const sg_policy *p, const json_t *object, const char *default_namespace, time_t now,
                             const sg_owner *owners, size_t nowners, sg_eval *out, char *err, size_t errlen)
{
    return evaluate(p, object, default_namespace, now, owners, nowners, NULL, NULL, out, err, errlen);
}

/* A pattern cut at its limits counts for the whole evaluation: past a few,
 * every later pattern is cut too (rule_eval.c), so a finding then depends on
 * the checks before it. With a cut on either side, the fixed object is
 * evaluated whole, so that the result stays a whole evaluation's. */
int pol_evaluate_patched(const sg_policy *p, const json_t *fixed, const char *default_namespace, time_t now,
                         const sg_eval *before, const json_t *patch, sg_eval *out, char *err, size_t errlen)
{
    const eval_storage *was = before->internal_;
    if (was && !was->regex_cuts) {
        int rc = evaluate(p, fixed, default_namespace, now, before->owners, before->nowners, before, patch, out, err,
                          errlen);
        const eval_storage *fresh = out->internal_;
        if (rc < 0 || !fresh->regex_cuts)
            return rc;
        sg_eval_free(out);
    }
    return evaluate(p, fixed, default_namespace, now, before->owners, before->nowners, NULL, NULL, out, err, errlen);
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
        for (size_t i = 0; i < s->nviews; i++)
            json_decref(s->views[i]);
        free(s->views);
        free(s);
    }
    free(ev->findings);
    memset(ev, 0, sizeof *ev);
}
