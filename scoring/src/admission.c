/*
 * admission.c - the one admission decision (scoring.h): evaluate the object,
 * build the enforce patch and judge the fixed object (once each), say which
 * findings are denied and why, predict the score change, let the score gate
 * judge that very prediction, and change the inventory when the mode says so,
 * all as one step. The webhook, scan, score, fix and the inventory sync only
 * present the result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *string_member(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* Whether an allowed request changes the inventory: MUTATE never does
 * (validation sees the final object), dry runs never do. */
static bool applies_now(const sg_admission_request *req)
{
    return req->mode != SG_ADMISSION_MUTATE && !req->dry_run;
}

/* The score gate's verdict on a prediction. A request that keeps or raises
 * the score always passes, or the cluster could not be repaired. */
static void judge_gate(const sg_policy *p, const sg_score_prediction *pred, sg_admission_gate *g)
{
    const sg_score_gate_settings *s = sg_policy_score_gate(p);
    memset(g, 0, sizeof *g);
    if ((s->min_score < 0 && s->max_drop < 0) || !pred->after.has_percent)
        return;
    if (pred->before.has_percent && pred->exact_delta >= 0)
        return;
    if (s->max_drop >= 0 && pred->has_delta && -pred->delta > s->max_drop) {
        *g = (sg_admission_gate){.denied = true, .by_max_drop = true, .limit = s->max_drop};
        snprintf(g->message, sizeof g->message, "score gate: the secure score would drop by %.2f points (maxDrop %.2f)",
                 -pred->delta, s->max_drop);
    } else if (s->min_score >= 0 && pred->after.percent < s->min_score) {
        *g = (sg_admission_gate){.denied = true, .by_max_drop = false, .limit = s->min_score};
        snprintf(g->message, sizeof g->message, "score gate: the secure score would fall to %.2f%% (minScore %.2f%%)",
                 pred->after.percent, s->min_score);
    }
}

/* What the inventory's write lock calls with the prediction: the gate
 * judges it, and it is applied when the whole decision allows it. */
typedef struct judge_ctx {
    const sg_policy *policy;
    const sg_admission_request *req;
    sg_admission *out;
} judge_ctx;

static bool judge(void *ctx, const sg_score_prediction *pred)
{
    judge_ctx *j = ctx;
    if (j->req->mode == SG_ADMISSION_RECORD || j->req->operation == SG_SCORE_DELETE) {
        j->out->allowed = true;
    } else {
        judge_gate(j->policy, pred, &j->out->gate);
        j->out->allowed = j->out->ndenied == 0 && !j->out->gate.denied;
    }
    return j->out->allowed && applies_now(j->req);
}

/* Predict the outcome's request; apply it when judged so, or only predict
 * when the mode never applies (the read lock suffices). */
static int predict_and_judge(const sg_policy *p, sg_inventory *inv, const sg_admission_request *req,
                             sg_score_op op, const sg_score_outcome *o, sg_admission *out, char *err, size_t errlen)
{
    judge_ctx j = {p, req, out};
    if (!applies_now(req)) {
        if (sg_inventory_predict(inv, op, o, &out->prediction, err, errlen) < 0)
            return -1;
        judge(&j, &out->prediction);
        return 0;
    }
    return sg__inventory_judge_apply(inv, op, o, judge, &j, &out->prediction, &out->applied, err, errlen);
}

/* The namespace of the object as the API server stores it. */
static const char *object_namespace(const sg_admission_request *req)
{
    const char *ns = string_member(json_object_get(req->object, "metadata"), "namespace");
    if (!ns || !*ns)
        ns = req->namespace_ && *req->namespace_ ? req->namespace_ : "default";
    return ns;
}

/* DELETE: never denied; the resource of the removed object's key leaves the inventory. */
static int decide_delete(const sg_policy *p, sg_score_model *m, sg_inventory *inv, const sg_admission_request *req,
                         sg_admission *out, char *err, size_t errlen)
{
    const json_t *old = req->old_object, *meta = json_object_get(old, "metadata");
    const char *api_version = string_member(old, "apiVersion");
    const char *kind = string_member(old, "kind");
    const char *ns = req->namespace_ && *req->namespace_ ? req->namespace_ : string_member(meta, "namespace");
    const char *name = req->name && *req->name ? req->name : string_member(meta, "name");
    if (!api_version || !*api_version)
        api_version = req->api_version;
    if (!kind || !*kind)
        kind = req->kind;
    out->allowed = true;
    sg_score_outcome *o;
    char why[SG_ERRMAX];
    /* A key the inventory cannot hold was never inventoried. */
    if (sg_score_outcome_new(m, api_version, kind, ns, name, &o, why, sizeof why) < 0) {
        sg_inventory_unchanged(inv, &out->prediction);
        return 0;
    }
    int rc = predict_and_judge(p, inv, req, SG_SCORE_DELETE, o, out, err, errlen);
    out->applied = out->applied && out->prediction.existed;
    sg_score_outcome_free(o);
    if (applies_now(req) && sg__owners_remove(inv, api_version, kind, ns, name))
        out->applied = true;
    return rc;
}

/* The object cannot be judged: say why; a recorded object is no longer scored. */
static int refuse(const sg_policy *p, sg_score_model *m, sg_inventory *inv, const sg_admission_request *req,
                  sg_admission *out, const char *verb, const char *why, char *err, size_t errlen)
{
    snprintf(out->refusal, sizeof out->refusal, "%s", why);
    out->refused_to = verb;
    out->allowed = false;
    out->judged = false;
    if (req->mode != SG_ADMISSION_RECORD) {
        sg_inventory_unchanged(inv, &out->prediction);
        return 0;
    }
    sg_admission_request del = *req;
    del.operation = SG_SCORE_DELETE;
    del.old_object = req->object;
    sg_admission gone = {0};
    int rc = decide_delete(p, m, inv, &del, &gone, err, errlen);
    out->prediction = gone.prediction;
    out->applied = gone.applied;
    return rc;
}

/* Whether the request can change the finding: on the ephemeralcontainers
 * subresource only ephemeral containers change. */
static bool in_scope(const sg_admission_request *req, const sg_finding *f)
{
    if (!req->subresource || strcmp(req->subresource, "ephemeralcontainers"))
        return true;
    return f->container_type && !strcmp(f->container_type, "ephemeralContainers");
}

/* Whether a finding asks for the enforce step: unhealthy, enforced, in scope. */
static bool wants_fix(const sg_admission_request *req, const sg_finding *f)
{
    return f->status == SG_STATUS_UNHEALTHY && f->action == SG_ACTION_ENFORCE && in_scope(req, f);
}

/* Build the enforce patch and judge the fixed object, on a view of the
 * findings in which those out of the request's reach are not enforced. */
static void enforce(const sg_policy *p, const sg_admission_request *req, sg_admission *out)
{
    sg_eval view = out->eval;
    sg_finding *scoped = NULL;
    if (req->subresource && *req->subresource) {
        scoped = sg_calloc(out->eval.count, sizeof *scoped);
        for (size_t i = 0; i < out->eval.count; i++) {
            scoped[i] = out->eval.findings[i];
            if (!in_scope(req, &scoped[i]))
                scoped[i].action = SG_ACTION_AUDIT;
        }
        view.findings = scoped;
    }
    /* That update cannot change the rest of the Pod: a fix that must is blocked. */
    view.ephemeral_only = req->subresource && !strcmp(req->subresource, "ephemeralcontainers");
    sg_policy_enforce(p, req->object, &view, req->namespace_, req->now, &out->fix);
    /* Why a fix was blocked is part of the finding (its storage is the evaluation's). */
    for (size_t i = 0; scoped && i < out->eval.count; i++) {
        out->eval.findings[i].fix_blocked = scoped[i].fix_blocked;
        out->eval.findings[i].message = scoped[i].message;
    }
    free(scoped);
    out->has_fix = true;
}

static sg_denial denial_of(const sg_policy *p, const sg_admission_request *req, const sg_admission *out, size_t i)
{
    const sg_finding *f = &out->eval.findings[i];
    if (f->status != SG_STATUS_UNHEALTHY || !in_scope(req, f))
        return SG_DENIAL_NONE;
    if (f->action == SG_ACTION_DENY)
        return SG_DENIAL_DENY;
    if (f->action != SG_ACTION_ENFORCE)
        return SG_DENIAL_NONE;
    if (!sg_policy_rec(p, f->rec)->has_fix)
        return SG_DENIAL_NO_FIX;
    if (!out->has_fix || !out->fix.healed[i])
        return SG_DENIAL_FIX_FAILS;
    return req->mode == SG_ADMISSION_VALIDATE ? SG_DENIAL_NOT_FIXED : SG_DENIAL_NONE;
}

/* Which findings are denied, building the enforce step when one is asked
 * for. A recorded object is already in the cluster: nothing is denied. */
static void judge_findings(const sg_policy *p, const sg_admission_request *req, sg_admission *out)
{
    out->denials = sg_calloc(out->eval.count, sizeof *out->denials);
    if (req->mode == SG_ADMISSION_RECORD)
        return;
    bool fix = false;
    for (size_t i = 0; i < out->eval.count && !fix; i++)
        fix = wants_fix(req, &out->eval.findings[i]);
    if (fix)
        enforce(p, req, out);
    out->stores_fixed = req->mode != SG_ADMISSION_VALIDATE && out->has_fix && out->fix.has_fixed_eval &&
                        !out->fix.broken && json_array_size(out->fix.patch);
    for (size_t i = 0; i < out->eval.count; i++) {
        out->denials[i] = denial_of(p, req, out, i);
        out->ndenied += out->denials[i] != SG_DENIAL_NONE;
    }
}

static int decide_object(const sg_policy *p, sg_score_model *m, sg_inventory *inv, const sg_admission_request *req,
                         sg_admission *out, char *err, size_t errlen)
{
    char why[SG_ERRMAX];
    sg__chain *owners = sg_calloc(1, sizeof *owners);
    sg__owners_chain(inv, req->object, object_namespace(req), owners);
    out->internal_ = owners;
    if (sg_policy_evaluate_owned(p, req->object, req->namespace_, req->now, owners->owners, owners->n, &out->eval,
                                 why, sizeof why) < 0)
        return refuse(p, m, inv, req, out, "evaluate", why, err, errlen);
    if (out->eval.excluded) {
        out->excluded = out->allowed = true;
        sg_inventory_unchanged(inv, &out->prediction);
        return 0;
    }
    out->judged = true;
    judge_findings(p, req, out);
    sg_score_outcome *o;
    /* Names or labels too long to inventory (the API server's validation
     * rejects them too, after the mutating webhooks). */
    if (sg_score_outcome_from_eval(m, sg_admission_stored(out), &o, why, sizeof why) < 0)
        return refuse(p, m, inv, req, out, "score", why, err, errlen);
    int rc = predict_and_judge(p, inv, req, req->operation, o, out, err, errlen);
    sg_score_outcome_free(o);
    /* A workload the cluster now holds may own what comes next. */
    if (rc == 0 && out->allowed && applies_now(req) && out->eval.controls_pods) {
        sg__owners_note(inv, req->object, out->eval.namespace_);
        out->applied = true;
    }
    return rc;
}

int sg_admission_decide(const sg_policy *p, sg_score_model *m, sg_inventory *inv, const sg_admission_request *req,
                        sg_admission *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!p || !m || !inv || !req || sg_score_model_rec_count(m) != sg_policy_rec_count(p))
        return sg_err(err, errlen, "admission: the policy, its model and an inventory are required");
    /* Subresources other than ephemeral containers (status, scale, ...) and
     * excluded namespaces carry nothing to judge. */
    bool other_subresource = req->subresource && *req->subresource && strcmp(req->subresource, "ephemeralcontainers");
    if (other_subresource || (req->namespace_ && *req->namespace_ && sg_policy_namespace_excluded(p, req->namespace_))) {
        out->allowed = true;
        out->excluded = !other_subresource;
        sg_inventory_unchanged(inv, &out->prediction);
        return 0;
    }
    if (req->operation == SG_SCORE_DELETE)
        return decide_delete(p, m, inv, req, out, err, errlen);
    if (req->operation != SG_SCORE_CREATE && req->operation != SG_SCORE_UPDATE)
        return sg_err(err, errlen, "admission: unknown operation %d", (int)req->operation);
    if (!req->object)
        return sg_err(err, errlen, "admission: no object to decide");
    int rc = decide_object(p, m, inv, req, out, err, errlen);
    if (rc < 0)
        sg_admission_free(out);
    return rc;
}

void sg_admission_free(sg_admission *a)
{
    if (!a)
        return;
    sg_eval_free(&a->eval);
    sg_enforcement_free(&a->fix);
    free(a->denials);
    if (a->internal_)
        sg__owners_chain_free(a->internal_);
    free(a->internal_);
    memset(a, 0, sizeof *a);
}

const sg_eval *sg_admission_stored(const sg_admission *a)
{
    return a->stores_fixed ? &a->fix.fixed_eval : &a->eval;
}

const json_t *sg_admission_patch(const sg_admission *a)
{
    return a->allowed && a->stores_fixed ? a->fix.patch : NULL;
}

const char *sg_denial_text(sg_denial d)
{
    switch (d) {
    case SG_DENIAL_DENY: return "denied";
    case SG_DENIAL_NO_FIX: return "enforced, but it has no automatic fix";
    case SG_DENIAL_FIX_FAILS: return "enforced, but its fix does not make this object healthy";
    case SG_DENIAL_NOT_FIXED: return "enforced, but the fix was not applied (is the mutating webhook registered?)";
    default: return "";
    }
}
