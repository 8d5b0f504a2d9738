/*
 * decision.c - from a decoded AdmissionReview to the webhook's answer
 * (DESIGN.md 4): evaluate the object, let sg_policy_decide() say which
 * findings are denied (deny, and enforce without a healing fix) and build the
 * enforce patch, predict the score change against the inventory, apply the
 * optional score gate, and update the inventory.
 *
 * Who does what, given that the API server calls mutating webhooks before
 * validating ones:
 *  - /mutate returns the enforce patch, scores the patched object, and never
 *    changes the inventory: another webhook or /validate may still reject the
 *    request, and later mutations may change the object again.
 *  - /validate sees the final object, so it is the one that changes the
 *    inventory (allowed, not dry-run requests); an enforce finding whose fix
 *    heals it is allowed there, because /mutate fixes it.
 * Both deny the same findings, so either endpoint alone is safe to register.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Score annotations of a prediction. */
static void annotate(const sg_score_prediction *p, wh_result *res)
{
    if (p->before.has_percent)
        snprintf(res->score_before, sizeof res->score_before, "%.2f", p->before.percent);
    else
        snprintf(res->score_before, sizeof res->score_before, "n/a");
    if (p->after.has_percent)
        snprintf(res->score_after, sizeof res->score_after, "%.2f", p->after.percent);
    else
        snprintf(res->score_after, sizeof res->score_after, "n/a");
    if (!p->has_delta)
        snprintf(res->score_delta, sizeof res->score_delta, "n/a");
    else if (fabs(p->delta) < 0.005 && fabs(p->exact_delta) >= 0.00005)
        snprintf(res->score_delta, sizeof res->score_delta, "%+.4f", p->exact_delta);
    else
        snprintf(res->score_delta, sizeof res->score_delta, "%+.2f", p->delta);
}

/* A prediction that changes nothing: before and after are the current score. */
static void unchanged_prediction(sg_inventory *inv, sg_score_prediction *p)
{
    memset(p, 0, sizeof *p);
    sg_inventory_score(inv, &p->before);
    p->after = p->before;
    p->has_delta = p->before.has_percent;
}

static int allow_untouched(const wh_context *ctx, wh_result *res)
{
    sg_score_prediction p;
    unchanged_prediction(ctx->inv, &p);
    annotate(&p, res);
    return 0;
}

static const char *string_member(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

/* DELETE: never blocked (it can only be needed to repair the cluster); the
 * resource leaves the inventory. */
static int decide_delete(const wh_context *ctx, const wh_request *r, wh_result *res, char *err, size_t errlen)
{
    const json_t *old = r->old_object;
    const json_t *meta = old ? json_object_get(old, "metadata") : NULL;
    char api[256];
    const char *api_version = old ? string_member(old, "apiVersion") : "";
    if (!*api_version) {
        if (*r->group)
            snprintf(api, sizeof api, "%s/%s", r->group, r->version);
        else
            snprintf(api, sizeof api, "%s", r->version);
        api_version = api;
    }
    const char *kind = old && *string_member(old, "kind") ? string_member(old, "kind") : r->kind;
    const char *ns = *r->namespace_ ? r->namespace_ : string_member(meta, "namespace");
    const char *name = *r->name ? r->name : string_member(meta, "name");
    sg_score_outcome *o;
    sg_score_prediction p;
    if (sg_score_outcome_new(ctx->snap->model, api_version, kind, ns, name, &o, err, errlen) < 0)
        return allow_untouched(ctx, res);
    bool apply = ctx->endpoint == SG_WEBHOOK_VALIDATE && !r->dry_run;
    int rc = sg_inventory_predict_apply(ctx->inv, SG_SCORE_DELETE, o, !apply, &p, err, errlen);
    sg_score_outcome_free(o);
    if (rc < 0)
        return -1;
    if (apply && p.existed)
        atomic_store(ctx->dirty, true);
    annotate(&p, res);
    return 0;
}

/* The score gate's verdict on a prediction, or NULL when it lets it pass.
 * A request that keeps or raises the score always passes. */
static const char *score_gate(const sg_server_settings *s, const sg_score_prediction *p, char *buf, size_t len)
{
    if ((s->min_score < 0 && s->max_drop < 0) || !p->after.has_percent)
        return NULL;
    if (p->before.has_percent && p->exact_delta >= 0)
        return NULL;
    if (s->max_drop >= 0 && p->has_delta && -p->delta > s->max_drop) {
        snprintf(buf, len, "score gate: the secure score would drop by %.2f points (maxDrop %.2f)", -p->delta,
                 s->max_drop);
        return buf;
    }
    if (s->min_score >= 0 && p->after.percent < s->min_score) {
        snprintf(buf, len, "score gate: the secure score would fall to %.2f%% (minScore %.2f%%)", p->after.percent,
                 s->min_score);
        return buf;
    }
    return NULL;
}

/* Per recommendation, how many findings are unhealthy (an array of the
 * catalog's size; linear in the findings, however many containers). */
static size_t *unhealthy_counts(const sg_policy *p, const sg_eval *ev)
{
    size_t *counts = calloc(sg_policy_rec_count(p) + 1, sizeof *counts);
    if (!counts)
        return NULL;
    for (size_t i = 0; i < ev->count; i++)
        if (ev->findings[i].status == SG_STATUS_UNHEALTHY)
            counts[ev->findings[i].rec]++;
    return counts;
}

/* Comma-separated ids of the recommendations with unhealthy findings, in catalog order. */
static char *failed_ids(const sg_policy *p, const size_t *counts)
{
    size_t n = sg_policy_rec_count(p), cap = 1;
    for (size_t r = 0; r < n; r++)
        if (counts[r])
            cap += strlen(sg_policy_rec(p, r)->id) + 1;
    char *out = calloc(1, cap), *end = out;
    if (!out)
        return NULL;
    for (size_t r = 0; r < n; r++)
        if (counts[r])
            end += sprintf(end, "%s%s", end == out ? "" : ",", sg_policy_rec(p, r)->id);
    return out;
}

/* Everything one CREATE or UPDATE decision holds, released in one place. */
typedef struct decision {
    sg_eval ev, after;
    bool have_ev, have_after;
    bool *denied;
    json_t *patch, *fixed;
    sg_score_outcome *outcome;
    wh_item *items;
    size_t *counts;
} decision;

static void decision_free(decision *d)
{
    if (d->have_ev)
        sg_eval_free(&d->ev);
    if (d->have_after)
        sg_eval_free(&d->after);
    free(d->denied);
    json_decref(d->patch);
    json_decref(d->fixed);
    sg_score_outcome_free(d->outcome);
    free(d->items);
    free(d->counts);
}

static int item_rank(bool denied, sg_severity sev)
{
    return (denied ? 0 : 3) + (sev == SG_SEV_HIGH ? 0 : sev == SG_SEV_MEDIUM ? 1 : 2);
}

/* Collect what users are told: in /validate (and a denied /mutate) every
 * unhealthy finding whose action is shown (warn, deny, enforce); in an allowed
 * /mutate the findings its patch fixed. */
static size_t collect_items(const sg_policy *p, const decision *d, bool fixed_only, wh_item *items)
{
    size_t n = 0;
    for (size_t i = 0; i < d->ev.count; i++) {
        const sg_finding *f = &d->ev.findings[i];
        if (f->status != SG_STATUS_UNHEALTHY || f->action == SG_ACTION_AUDIT || f->action == SG_ACTION_DISABLED)
            continue;
        const sg_rec_info *rec = sg_policy_rec(p, f->rec);
        bool healed = f->action == SG_ACTION_ENFORCE && !d->denied[i];
        if (fixed_only && !healed)
            continue;
        const char *tag = d->denied[i] ? "denied" : fixed_only ? "fixed" : sg_action_name(f->action);
        items[n++] = (wh_item){f, rec, tag, item_rank(d->denied[i], rec->severity)};
    }
    return n;
}

/* The review is fine but the object cannot be judged (unreadable where a
 * check looks, or beyond what the inventory holds): answer with a 400 denial
 * saying why, so the user sees it, rather than fail the call. */
static int refuse_object(const wh_context *ctx, const wh_request *r, wh_result *res, const char *verb,
                         const char *why)
{
    res->allowed = false;
    res->code = 400;
    res->decision = "denied";
    size_t len = strlen(why) + strlen(r->kind) + 64;
    res->message = malloc(len);
    if (!res->message)
        return -1;
    snprintf(res->message, len, "scoregate could not %s this %s: %s", verb, r->kind, why);
    return allow_untouched(ctx, res);
}

static int decide_object(const wh_context *ctx, const wh_request *r, wh_result *res, decision *d, char *err,
                         size_t errlen)
{
    const sg_policy *p = ctx->snap->policy;
    bool mutate = ctx->endpoint == SG_WEBHOOK_MUTATE;
    const char *ns = *r->namespace_ ? r->namespace_ : NULL;
    char eerr[SG_ERRMAX];
    if (sg_policy_evaluate(p, r->object, ns, ctx->now, &d->ev, eerr, sizeof eerr) < 0)
        return refuse_object(ctx, r, res, "evaluate", eerr);
    d->have_ev = true;
    if (d->ev.excluded)
        return allow_untouched(ctx, res);
    d->denied = calloc(d->ev.count + 1, sizeof *d->denied);
    d->items = calloc(d->ev.count + 1, sizeof *d->items);
    if (!d->denied || !d->items)
        return -1;
    int ndenied = sg_policy_decide(p, r->object, &d->ev, ns, ctx->now, d->denied, mutate ? &d->patch : NULL, err,
                                   errlen);
    if (ndenied < 0)
        return -1;
    if (mutate && json_array_size(d->patch)) {
        /* Score the object as it will be admitted: with the patch applied. */
        json_t *again = NULL;
        if (sg_policy_fix(p, r->object, &d->ev, &again, &d->fixed, err, errlen) < 0)
            return -1;
        json_decref(again);
        d->have_after = sg_policy_evaluate(p, d->fixed, ns, ctx->now, &d->after, eerr, sizeof eerr) == 0;
    } else {
        json_decref(d->patch);
        d->patch = NULL;
    }
    /* Names or labels too long to inventory (the API server's validation,
     * which rejects them, runs after mutating webhooks). */
    if (sg_score_outcome_from_eval(ctx->snap->model, d->have_after ? &d->after : &d->ev, &d->outcome, eerr,
                                   sizeof eerr) < 0)
        return refuse_object(ctx, r, res, "score", eerr);

    if (!(d->counts = unhealthy_counts(p, &d->ev)))
        return -1;
    for (size_t rec = 0; rec < sg_policy_rec_count(p); rec++)
        if (d->counts[rec]) {
            const sg_rec_info *info = sg_policy_rec(p, rec);
            wh_metrics_finding(ctx->metrics, info->id, sg_action_name(info->action), d->counts[rec]);
        }

    sg_score_op op = r->operation == WH_CREATE ? SG_SCORE_CREATE : SG_SCORE_UPDATE;
    const sg_server_settings *server = sg_policy_server(p);
    bool gated = server->min_score >= 0 || server->max_drop >= 0;
    bool may_apply = !mutate && !r->dry_run;
    sg_score_prediction pred;
    char gate_buf[160];
    const char *gate = NULL;
    bool applied = false;
    if (ndenied == 0 && may_apply && !gated) {
        if (sg_inventory_predict_apply(ctx->inv, op, d->outcome, false, &pred, err, errlen) < 0)
            return -1;
        applied = true;
    } else {
        if (sg_inventory_predict(ctx->inv, op, d->outcome, &pred, err, errlen) < 0)
            return -1;
        gate = score_gate(server, &pred, gate_buf, sizeof gate_buf);
        if (ndenied == 0 && !gate && may_apply) {
            if (sg_inventory_predict_apply(ctx->inv, op, d->outcome, false, &pred, err, errlen) < 0)
                return -1;
            applied = true;
        }
    }
    if (applied && !d->ev.owned)
        atomic_store(ctx->dirty, true);
    annotate(&pred, res);
    res->failed = failed_ids(p, d->counts);
    if (!res->failed)
        return -1;

    res->allowed = ndenied == 0 && !gate;
    bool fixed_only = mutate && res->allowed;
    size_t n = collect_items(p, d, fixed_only, d->items);
    char change[96], summary[192];
    wh_score_change(&pred, change, sizeof change);
    if (!res->allowed) {
        res->code = 403;
        res->decision = "denied";
        res->message = wh_denial_message(r->kind, d->ev.name ? d->ev.name : "", &pred, gate, d->items, n);
        if (!res->message)
            return -1;
        snprintf(summary, sizeof summary, "scoregate denied this %s; secure score %s", r->kind, change);
    } else if (fixed_only) {
        snprintf(summary, sizeof summary, "scoregate fixed %zu finding%s; secure score %s", n, n == 1 ? "" : "s",
                 change);
    } else {
        snprintf(summary, sizeof summary, "scoregate: %zu finding%s; secure score %s", n, n == 1 ? "" : "s", change);
    }
    if (n || gate) {
        json_decref(res->warnings);
        res->warnings = wh_warnings(summary, d->items, n);
        if (!res->warnings)
            return -1;
    }
    if (res->allowed && d->patch) {
        res->patch = d->patch;
        d->patch = NULL;
        res->decision = "patched";
    }
    return 0;
}

int wh_decide(const wh_context *ctx, const wh_request *r, wh_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    res->allowed = true;
    res->decision = "allowed";
    res->warnings = json_array();
    res->failed = calloc(1, 1);
    if (!res->warnings || !res->failed)
        return -1;
    const sg_policy *p = ctx->snap->policy;
    /* CONNECT, and subresources other than ephemeral containers (status,
     * scale, ...), carry no pod spec to judge. */
    if (r->operation == WH_CONNECT || (*r->subresource && strcmp(r->subresource, "ephemeralcontainers")))
        return allow_untouched(ctx, res);
    if (*r->namespace_ && sg_policy_namespace_excluded(p, r->namespace_))
        return allow_untouched(ctx, res);
    if (r->operation == WH_DELETE)
        return decide_delete(ctx, r, res, err, errlen);
    free(res->failed);
    res->failed = NULL;
    decision d = {0};
    int rc = decide_object(ctx, r, res, &d, err, errlen);
    decision_free(&d);
    if (rc == 0 && !res->failed)
        res->failed = calloc(1, 1);
    return rc == 0 && res->failed ? 0 : -1;
}
