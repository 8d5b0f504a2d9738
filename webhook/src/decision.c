/*
 * decision.c - from a decoded AdmissionReview to the webhook's answer. The
 * decision itself is sg_admission_decide() (scoring/), the same one scan,
 * score and the inventory sync make; this file only maps the request onto it
 * and its result onto the AdmissionReview response: allowed or 403 with the
 * denial message, warnings, the enforce patch, the score annotations, and
 * the finding metrics. Answers that deny or warn also go to the recent-decisions
 * ring the dashboard shows (decisions.c).
 *
 * /mutate returns the enforce patch and never changes the inventory: another
 * webhook or /validate may still reject the request, and later mutations may
 * change the object again. /validate sees the final object, so it is the one
 * that changes the inventory (allowed, not dry-run requests), and it denies
 * an enforce finding that is still unhealthy: the mutation did not happen.
 */
#include <math.h>
#include <time.h>
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

/* Per recommendation, how many findings are unhealthy (an array of the
 * catalog's size; linear in the findings, however many containers). */
static size_t *unhealthy_counts(const sg_policy *p, const sg_eval *ev)
{
    size_t *counts = sg_calloc(sg_policy_rec_count(p), sizeof *counts);
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
    char *out = sg_calloc(1, cap), *end = out;
    for (size_t r = 0; r < n; r++)
        if (counts[r])
            end += sprintf(end, "%s%s", end == out ? "" : ",", sg_policy_rec(p, r)->id);
    return out;
}

/* The failed-recommendations annotation and the finding metrics. */
static void count_findings(const wh_context *ctx, const sg_admission *a, wh_result *res)
{
    const sg_policy *p = ctx->snap->policy;
    size_t *counts = unhealthy_counts(p, &a->eval);
    for (size_t rec = 0; rec < sg_policy_rec_count(p); rec++)
        if (counts[rec]) {
            const sg_rec_info *info = sg_policy_rec(p, rec);
            wh_metrics_finding(ctx->metrics, info->id, sg_action_name(info->action), counts[rec]);
        }
    free(res->failed);
    res->failed = failed_ids(p, counts);
    free(counts);
}

static int item_rank(bool denied, sg_severity sev)
{
    return (denied ? 0 : 3) + (sev == SG_SEV_HIGH ? 0 : sev == SG_SEV_MEDIUM ? 1 : 2);
}

/* Collect what users are told: in /validate (and a denied /mutate) every
 * unhealthy finding whose action is shown (warn, deny, enforce); in an allowed
 * /mutate the findings its patch fixed. */
static size_t collect_items(const sg_policy *p, const sg_admission *a, bool fixed_only, wh_item *items)
{
    size_t n = 0;
    for (size_t i = 0; i < a->eval.count; i++) {
        const sg_finding *f = &a->eval.findings[i];
        if (f->status != SG_STATUS_UNHEALTHY || f->action == SG_ACTION_AUDIT || f->action == SG_ACTION_DISABLED)
            continue;
        const sg_rec_info *rec = sg_policy_rec(p, f->rec);
        sg_denial why = a->denials[i];
        bool healed = a->has_fix && a->fix.healed[i] && why == SG_DENIAL_NONE;
        if (fixed_only && !healed)
            continue;
        const char *tag = why ? "denied" : fixed_only ? "fixed" : sg_action_name(f->action);
        items[n++] = (wh_item){f, rec, tag, item_rank(why != SG_DENIAL_NONE, rec->severity), why};
    }
    return n;
}

/* The review is fine but the object cannot be judged (unreadable where a
 * check looks, or beyond what the inventory holds): answer with a 400 denial
 * saying why, so the user sees it, rather than fail the call. */
static void refuse_object(const wh_request *r, const sg_admission *a, wh_result *res)
{
    res->allowed = false;
    res->code = 400;
    res->decision = "denied";
    size_t len = strlen(a->refusal) + strlen(r->kind) + 64;
    res->message = sg_malloc(len);
    snprintf(res->message, len, "scoregate could not %s this %s: %s", a->refused_to, r->kind, a->refusal);
}

/* The exemptions that matched a finding but have expired, one entry per
 * exemption with the recommendations they no longer cover:
 * [{name, expires (RFC 3339), recommendations: [id...]}], or NULL when none. */
static json_t *expired_exemptions(const sg_policy *p, const sg_eval *ev)
{
    json_t *list = NULL;
    for (size_t i = 0; i < ev->count; i++) {
        const sg_finding *f = &ev->findings[i];
        if (!f->exemption_expired || !f->expired_exemption)
            continue;
        if (!list)
            list = json_array();
        json_t *entry = NULL, *e;
        size_t k;
        json_array_foreach(list, k, e)
            if (!strcmp(json_string_value(json_object_get(e, "name")), f->expired_exemption))
                entry = e;
        if (!entry) {
            char when[32];
            struct tm tm;
            if (!gmtime_r(&f->exemption_expires, &tm) || !strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm))
                snprintf(when, sizeof when, "%lld", (long long)f->exemption_expires);
            entry = json_pack("{s:s,s:s,s:[]}", "name", f->expired_exemption, "expires", when, "recommendations");
            json_array_append_new(list, entry);
        }
        json_t *recs = json_object_get(entry, "recommendations");
        const char *id = sg_policy_rec(p, f->rec)->id;
        bool listed = false;
        json_t *r;
        json_array_foreach(recs, k, r)
            listed = listed || !strcmp(json_string_value(r), id);
        if (!listed)
            json_array_append_new(recs, json_string(id));
    }
    return list;
}

/* Warnings, the denial message and the patch of a judged object. */
static void present(const wh_context *ctx, const wh_request *r, const sg_admission *a, wh_result *res)
{
    const sg_policy *p = ctx->snap->policy;
    bool fixed_only = ctx->endpoint == SG_WEBHOOK_MUTATE && a->allowed;
    wh_item *items = sg_calloc(a->eval.count, sizeof *items);
    size_t n = collect_items(p, a, fixed_only, items);
    const char *gate = a->gate.denied ? a->gate.message : NULL;
    char change[96], summary[192];
    wh_score_change(&a->prediction, change, sizeof change);
    if (!a->allowed) {
        res->code = 403;
        res->decision = "denied";
        res->message = wh_denial_message(r->kind, a->eval.name ? a->eval.name : "", &a->prediction, gate, items, n,
                                         a->has_fix ? a->fix.patch : NULL);
        snprintf(summary, sizeof summary, "scoregate denied this %s; secure score %s", r->kind, change);
    } else if (fixed_only) {
        snprintf(summary, sizeof summary, "scoregate fixed %zu finding%s; secure score %s", n, n == 1 ? "" : "s",
                 change);
    } else {
        snprintf(summary, sizeof summary, "scoregate: %zu finding%s; secure score %s", n, n == 1 ? "" : "s", change);
    }
    res->expired = expired_exemptions(p, &a->eval);
    if (n || gate || res->expired) {
        json_decref(res->warnings);
        res->warnings = wh_warnings(summary, res->expired, items, n);
    }
    free(items);
    const json_t *patch = sg_admission_patch(a);
    if (patch && ctx->endpoint == SG_WEBHOOK_MUTATE) {
        res->patch = json_incref((json_t *)patch);
        res->decision = "patched";
    }
}

static sg_score_op score_op(wh_operation op)
{
    return op == WH_CREATE ? SG_SCORE_CREATE : op == WH_UPDATE ? SG_SCORE_UPDATE : SG_SCORE_DELETE;
}

int wh_decide(const wh_context *ctx, const wh_request *r, wh_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    res->allowed = true;
    res->decision = "allowed";
    res->warnings = sg_check_alloc(json_array());
    res->failed = sg_calloc(1, 1);
    const sg_policy *p = ctx->snap->policy;
    sg_admission_request req = {
        .mode = ctx->endpoint == SG_WEBHOOK_MUTATE ? SG_ADMISSION_MUTATE : SG_ADMISSION_VALIDATE,
        .operation = score_op(r->operation),
        .object = r->object,
        .old_object = r->old_object,
        .namespace_ = *r->namespace_ ? r->namespace_ : NULL,
        .subresource = r->subresource,
        .kind = r->kind,
        .name = r->name,
        .dry_run = r->dry_run,
        .now = ctx->now,
    };
    char api_version[256];
    snprintf(api_version, sizeof api_version, "%s%s%s", r->group, *r->group ? "/" : "", r->version);
    req.api_version = api_version;
    if (r->operation == WH_CONNECT) {   /* carries no object to judge */
        sg_score_prediction unchanged;
        sg_inventory_unchanged(ctx->inv, &unchanged);
        annotate(&unchanged, res);
        return 0;
    }
    sg_admission a;
    if (sg_admission_decide(p, ctx->snap->model, ctx->inv, &req, &a, err, errlen) < 0)
        return -1;
    annotate(&a.prediction, res);
    if (a.applied)
        atomic_store(ctx->dirty, true);
    if (*a.refusal) {
        refuse_object(r, &a, res);
    } else if (a.judged) {
        count_findings(ctx, &a, res);
        present(ctx, r, &a, res);
    }
    res->allowed = a.allowed && !*a.refusal;
    wh_decisions_add(ctx->decisions, ctx->now, r, a.judged && a.eval.name ? a.eval.name : r->name, res);
    sg_admission_free(&a);
    return 0;
}
