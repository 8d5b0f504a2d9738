/*
 * predict.c - what one admission request does to the score. CREATE and
 * UPDATE put the object's outcome (replacing what the inventory holds under
 * its key), DELETE removes it. A prediction works on a copy of the counters,
 * O(controls), and never touches the table; applying is a separate step, and
 * sg_inventory_predict_apply() does both under one write lock.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SCRATCH_WORDS (SG_SETS * (SG_SCORE_MAX_RECS / 64 + 1))

static int check_args(sg_score_op op, const sg_score_outcome *o, char *err, size_t errlen)
{
    if (!o)
        return sg_err(err, errlen, "inventory: no outcome given");
    if (op != SG_SCORE_CREATE && op != SG_SCORE_UPDATE && op != SG_SCORE_DELETE)
        return sg_err(err, errlen, "inventory: unknown operation %d", (int)op);
    return 0;
}

char *sg_score_change_reason(const sg_score_change *ch, char *buf, size_t len)
{
    char counts[96], points[48];
    long dh = ch->healthy_delta, du = ch->unhealthy_delta;
    long most = labs(dh) > labs(du) ? labs(dh) : labs(du);
    const char *noun = most == 1 ? "resource" : "resources";
    if (dh && du)
        snprintf(counts, sizeof counts, "%+ld healthy, %+ld unhealthy %s", dh, du, noun);
    else if (dh)
        snprintf(counts, sizeof counts, "%+ld healthy %s", dh, noun);
    else
        snprintf(counts, sizeof counts, "%+ld unhealthy %s", du, noun);
    long long cents = llround(ch->after * 100) - llround(ch->before * 100);
    if (cents)
        snprintf(points, sizeof points, "%+.2f points", (double)cents / 100.0);
    else if (ch->exact_delta != 0)
        snprintf(points, sizeof points, "%+.2g points", ch->exact_delta);
    else
        snprintf(points, sizeof points, "no change in points");
    const char *note = ch->before_max > 0 && ch->after_max == 0   ? " (control drops out)"
                       : ch->before_max == 0 && ch->after_max > 0 ? " (control now counts)"
                                                                  : "";
    if (len) {
        int n = snprintf(buf, len, "%s: %s, %s%s", ch->id, counts, points, note);
        assert(n > 0);
        (void)n;
    }
    return buf;
}

static void finish(sg_score_prediction *out)
{
    const sg_score *b = &out->before, *a = &out->after;
    out->has_delta = b->has_percent && a->has_percent;
    if (out->has_delta) {
        out->delta = (double)(llround(a->percent * 100) - llround(b->percent * 100)) / 100.0;
        out->exact_delta = a->exact_percent - b->exact_percent;
    }
    out->nchanges = 0;
    for (size_t c = 0; c < b->ncontrols; c++) {
        const sg_score_control *cb = &b->controls[c], *ca = &a->controls[c];
        if (cb->healthy == ca->healthy && cb->unhealthy == ca->unhealthy)
            continue;
        sg_score_change *ch = &out->changes[out->nchanges++];
        ch->control = c;
        ch->id = cb->id;
        ch->before = cb->current;
        ch->after = ca->current;
        ch->exact_delta = ca->exact - cb->exact;
        ch->healthy_delta = (long)ca->healthy - (long)cb->healthy;
        ch->unhealthy_delta = (long)ca->unhealthy - (long)cb->unhealthy;
        ch->before_max = cb->max;
        ch->after_max = ca->max;
    }
}

void sg_score_diff(const sg_score *before, const sg_score *after, sg_score_prediction *out)
{
    out->before = *before;
    out->after = *after;
    out->existed = false;
    finish(out);
}

/* Predict with the lock held. `bits` is NULL for DELETE. */
static void predict_locked(const sg_inventory *inv, sg_score_op op, const sg_score_outcome *o,
                           const uint64_t *bits, sg_score_prediction *out)
{
    const sg_score_model *m = inv->model;
    size_t healthy[SG_SCORE_MAX_CONTROLS], unhealthy[SG_SCORE_MAX_CONTROLS];
    size_t count = inv->count, stale = inv->stale;
    memcpy(healthy, inv->healthy, sizeof healthy);
    memcpy(unhealthy, inv->unhealthy, sizeof unhealthy);
    sg__score_counts(m, healthy, unhealthy, count, stale, &out->before);
    out->existed = false;
    if (!o->ignored) {
        const resource *old = sg__inv_find(inv, o->key, o->keylen, o->hash);
        out->existed = old != NULL;
        if (old) {
            sg__count(m, old->bits, -1, healthy, unhealthy, &stale);
            count--;
        }
        if (op != SG_SCORE_DELETE) {
            sg__count(m, bits, +1, healthy, unhealthy, &stale);
            count++;
        }
    }
    sg__score_counts(m, healthy, unhealthy, count, stale, &out->after);
    finish(out);
}

/* Apply with the write lock held. */
static void apply_locked(sg_inventory *inv, sg_score_op op, const sg_score_outcome *o, const uint64_t *bits)
{
    if (o->ignored)
        return;
    resource *old = sg__inv_find(inv, o->key, o->keylen, o->hash);
    if (old)
        free(sg__inv_unlink(inv, old));
    if (op == SG_SCORE_DELETE)
        return;
    resource_text t = {o->key, o->labels, NULL, o->keylen, o->labelslen, 0};
    char *copy;
    t.details = sg__outcome_details_for(o, inv->model, &t.detailslen, &copy);
    sg__inv_insert(inv, sg__resource_new(inv->model->nwords, bits, &t));
    free(copy);
}

void sg_inventory_unchanged(sg_inventory *inv, sg_score_prediction *out)
{
    memset(out, 0, sizeof *out);
    sg_inventory_score(inv, &out->before);
    out->after = out->before;
    out->has_delta = out->before.has_percent;
}

int sg_inventory_predict(sg_inventory *inv, sg_score_op op, const sg_score_outcome *o,
                         sg_score_prediction *out, char *err, size_t errlen)
{
    uint64_t scratch[SCRATCH_WORDS];
    const uint64_t *bits = NULL;
    if (check_args(op, o, err, errlen))
        return -1;
    pthread_rwlock_rdlock(&inv->lock);
    if (op != SG_SCORE_DELETE && !o->ignored)
        bits = sg__outcome_bits_for(o, inv->model, scratch);
    predict_locked(inv, op, o, bits, out);
    pthread_rwlock_unlock(&inv->lock);
    return 0;
}

int sg__inventory_judge_apply(sg_inventory *inv, sg_score_op op, const sg_score_outcome *o,
                              sg__judge_fn judge, void *ctx, sg_score_prediction *out, bool *applied,
                              char *err, size_t errlen)
{
    uint64_t scratch[SCRATCH_WORDS];
    const uint64_t *bits = NULL;
    sg_score_prediction local;
    *applied = false;
    if (check_args(op, o, err, errlen))
        return -1;
    if (!out)
        out = &local;
    pthread_rwlock_wrlock(&inv->lock);
    if (op != SG_SCORE_DELETE && !o->ignored)
        bits = sg__outcome_bits_for(o, inv->model, scratch);
    predict_locked(inv, op, o, bits, out);
    if (judge(ctx, out)) {
        apply_locked(inv, op, o, bits);
        *applied = !o->ignored;
    }
    pthread_rwlock_unlock(&inv->lock);
    return 0;
}

static bool always(void *ctx, const sg_score_prediction *p)
{
    (void)p;
    return *(const bool *)ctx;
}

int sg_inventory_predict_apply(sg_inventory *inv, sg_score_op op, const sg_score_outcome *o,
                               bool dry_run, sg_score_prediction *out, char *err, size_t errlen)
{
    bool apply = !dry_run, applied;
    return sg__inventory_judge_apply(inv, op, o, always, &apply, out, &applied, err, errlen);
}

int sg_inventory_apply(sg_inventory *inv, sg_score_op op, const sg_score_outcome *o, char *err,
                       size_t errlen)
{
    return sg_inventory_predict_apply(inv, op, o, false, NULL, err, errlen);
}
