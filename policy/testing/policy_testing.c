/*
 * policy_testing.c - the rule language on its own, for the table test of
 * tests/rule_language (scoregate/policy_testing.h): the same compilers and
 * the same bindings as a recommendation gets, without the loader around them;
 * and the comparison of two evaluations that the enforce step's tests use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scoregate/policy_testing.h>

#include "internal_policy.h"

/* Bind the container named `name` of the pod template; false when there is none. */
static bool bind_container(pol_rule_ctx *ctx, const char *name)
{
    static const char *const lists[] = {"containers", "initContainers", "ephemeralContainers"};
    for (int l = 0; l < 3; l++) {
        size_t i;
        const json_t *c;
        json_array_foreach(json_object_get(ctx->vars[POL_VAR_POD], lists[l]), i, c) {
            const char *cname = json_string_value(json_object_get(c, "name"));
            if (cname && !strcmp(cname, name)) {
                ctx->vars[POL_VAR_CONTAINER] = c;
                ctx->strvars[POL_VAR_CONTAINER_TYPE] = lists[l];
                return true;
            }
        }
    }
    return false;
}

static void bind(pol_rule_ctx *ctx, const pol_testing_case *c, pol_workload *w)
{
    const char *kind = json_string_value(json_object_get(c->object, "kind"));
    const json_t *meta = json_object_get(c->object, "metadata");
    memset(w, 0, sizeof *w);
    if (kind) {
        char buf[256];
        const char *group = pol_group_of(json_string_value(json_object_get(c->object, "apiVersion")), kind, buf,
                                         sizeof buf);
        pol_workload_find(pol_workload_def_of(NULL, group, kind), c->object, w);
    }
    pol_bind_object(ctx, c->object, w, kind,
                    c->namespace_ ? c->namespace_ : json_string_value(json_object_get(meta, "namespace")),
                    json_string_value(json_object_get(meta, "name")));
    ctx->cache_on = true;   /* as in the engine: the object does not change while it is evaluated */
}

/* Evaluate what was compiled (exactly one of e, t, p) into a new JSON value. */
static json_t *run(const pol_expr *e, const pol_template *t, const pol_path *p, pol_rule_ctx *ctx)
{
    if (e)
        return pol_value_to_json(pol_expr_eval(e, ctx));
    if (t) {
        char *text = pol_template_render(t, ctx);
        json_t *v = json_stringn_nocheck(text, strlen(text));
        free(text);
        return v;
    }
    json_t *steps = pol_path_resolve(p, ctx);
    return steps ? steps : json_null();
}

int pol_testing_run(const pol_testing_case *c, json_t **value, bool *cut, char *err, size_t errlen)
{
    *value = NULL;
    *cut = false;
    json_t *none = c->params ? NULL : json_object();
    const json_t *params = c->params ? c->params : none;
    pol_expr *e = NULL;
    pol_template *t = NULL;
    pol_path *p = NULL;
    if (c->form == POL_TESTING_EXPR)
        e = pol_expr_compile(c->text, params, c->lets, err, errlen);
    else if (c->form == POL_TESTING_TEMPLATE)
        t = pol_template_compile(c->text, params, c->lets, err, errlen);
    else
        p = pol_path_compile(c->text, params, c->lets, err, errlen);
    int rc = e || t || p ? 0 : -1;
    pol_rule_ctx ctx;
    pol_workload w;
    pol_rule_ctx_init(&ctx);
    bind(&ctx, c, &w);
    if (rc == 0 && c->container && !bind_container(&ctx, c->container)) {
        snprintf(err, errlen, "the object has no container '%s'", c->container);
        rc = -1;
    }
    if (rc == 0) {
        *value = run(e, t, p, &ctx);
        *cut = ctx.cut;
    }
    pol_rule_ctx_free(&ctx);
    pol_expr_free(e);
    pol_template_free(t);
    pol_path_free(p);
    json_decref(none);
    return rc;
}

static bool same_text(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

static int finding_differs(const sg_finding *a, const sg_finding *b, size_t i, char *why, size_t whylen)
{
    const char *field = a->rec != b->rec                                   ? "recommendation"
                        : a->status != b->status                           ? "status"
                        : a->raw_status != b->raw_status                   ? "status before exemptions"
                        : a->action != b->action                           ? "action"
                        : !same_text(a->container, b->container)           ? "container"
                        : !same_text(a->container_type, b->container_type) ? "container list"
                        : a->container_index != b->container_index         ? "container index"
                        : !same_text(a->message, b->message)               ? "message"
                        : !same_text(a->exemption, b->exemption)           ? "exemption"
                        : a->exemption_category != b->exemption_category   ? "exemption category"
                        : a->exemption_expired != b->exemption_expired     ? "expired exemption"
                        : !same_text(a->expired_exemption, b->expired_exemption) ? "expired exemption name"
                        : a->exemption_expires != b->exemption_expires     ? "exemption expiry"
                        : !same_text(a->fix_blocked, b->fix_blocked)       ? "blocked fix"
                                                                           : NULL;
    if (!field)
        return 0;
    snprintf(why, whylen, "finding %zu (recommendation %zu, container %s): %s differs (messages: \"%s\" and \"%s\")",
             i, a->rec, a->container ? a->container : "-", field, a->message ? a->message : "",
             b->message ? b->message : "");
    return -1;
}

int pol_testing_evals_differ(const sg_eval *a, const sg_eval *b, char *why, size_t whylen)
{
    const char *field = !same_text(a->kind, b->kind)             ? "kind"
                        : !same_text(a->group, b->group)         ? "group"
                        : !same_text(a->namespace_, b->namespace_) ? "namespace"
                        : !same_text(a->name, b->name)           ? "name"
                        : a->owned != b->owned                   ? "owned"
                        : a->excluded != b->excluded             ? "excluded"
                        : a->controls_pods != b->controls_pods   ? "controls pods"
                                                                 : NULL;
    if (field) {
        snprintf(why, whylen, "the evaluations differ in %s", field);
        return -1;
    }
    for (size_t i = 0; i < a->count && i < b->count; i++)
        if (finding_differs(&a->findings[i], &b->findings[i], i, why, whylen) < 0)
            return -1;
    if (a->count != b->count) {
        snprintf(why, whylen, "%zu findings against %zu", a->count, b->count);
        return -1;
    }
    return 0;
}

int pol_testing_reached(const sg_policy *p, const json_t *object, const json_t *patch, json_t **ids)
{
    const char *api = json_string_value(json_object_get(object, "apiVersion"));
    const char *kind = json_string_value(json_object_get(object, "kind"));
    if (!api || !kind)
        return -1;
    char buf[256];
    pol_workload w;
    pol_workload_find(pol_workload_def_of(p, pol_group_of(api, kind, buf, sizeof buf), kind), object, &w);
    bool *reached = pol_patch_reach(p, patch, &w);
    *ids = reached ? json_array() : json_null();
    for (size_t i = 0; reached && i < p->nrecs; i++)
        if (reached[i])
            json_array_append_new(*ids, json_string(p->recs[i].info.id));
    free(reached);
    return 0;
}
