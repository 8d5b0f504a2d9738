/*
 * fix_live.c - `scoregate fix --kubeconfig FILE`: the live workloads that
 * are unhealthy for the recommendations asked for, and the patch for each
 * (the admission decision's, the one /mutate sends), as a dry run; with
 * --apply the patches are sent.
 *
 * Each patch is sent twice: first as a server-side dry run (dryRun=All:
 * admission and validation run, nothing is stored), then for real, each time
 * led by a `test` of metadata.resourceVersion as listed, so a change made in
 * between is never overwritten: the API server refuses the patch (422), and
 * that is reported as a conflict, not retried. Objects a controller owns are
 * not patched: their owner is (a Pod's ReplicaSet's Deployment), or, when the
 * owner is no kind scoregate patches, the report says to fix it there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scoregate/kube.h>

#include "cli.h"
#include "fix.h"
#include "score.h"

typedef struct live_object {
    const sg_kube_resource *r;
    json_t *object;            /* as listed */
    json_t *after;             /* as stored after the run (or as the patch would make it), else NULL */
} live_object;

typedef struct live_run {
    const fix_options *o;
    fix_ctx ctx;
    sg_kube_config *kc;
    live_object *objects;
    size_t count, cap;
    size_t fixed, failed, owned;
} live_run;

static int on_object(void *ctx, const sg_kube_resource *r, json_t *object, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    live_run *run = ctx;
    if (run->count == run->cap) {
        run->cap = run->cap ? run->cap * 2 : 256;
        run->objects = sg_reallocarray(run->objects, run->cap, sizeof *run->objects);
    }
    run->objects[run->count++] = (live_object){r, object, NULL};
    return 0;
}

/* Whether a controller owns the object, and when its owner is a kind scoregate lists and patches. */
static const json_t *owner_of(const json_t *object, bool *patched_kind)
{
    const json_t *ref = sg_controller_ref(json_object_get(object, "metadata"));
    const char *kind = json_string_value(json_object_get(ref, "kind"));
    size_t n;
    const sg_kube_resource *rs = sg_kube_resources(&n);
    *patched_kind = false;
    for (size_t i = 0; kind && i < n; i++)
        *patched_kind |= !strcmp(rs[i].kind, kind);
    return ref;
}

static const char *metadata_string(const json_t *object, const char *key)
{
    const char *s = json_string_value(json_object_get(json_object_get(object, "metadata"), key));
    return s ? s : "";
}

/* Report a refusal of the API server by what it means for the user. */
static void report_refusal(live_run *run, const char *label, const char *stage, const sg_kube_status *st,
                           const char *rv)
{
    FILE *out = stdout;
    bool failed_test = st->code == 422 && (!st->causes || strstr(st->message, "testing value"));
    if (st->code == 409 || st->code == 404 || failed_test)
        fprintf(out, "%s: conflict: %s since it was listed (resourceVersion %s), so nothing was changed; run scoregate "
                "fix again (%s: %ld %s: %s)\n", label, st->code == 404 ? "it was deleted" : "it changed", rv, stage,
                st->code, st->reason, st->message);
    else if (st->code == 403)
        fprintf(out, "%s: forbidden: %s (%s)\n", label, st->message, stage);
    else if (st->code == 422)
        fprintf(out, "%s: invalid: %s (%s)\n", label, st->message, stage);
    else
        fprintf(out, "%s: failed: %ld %s: %s (%s)\n", label, st->code, st->reason, st->message, stage);
    run->failed++;
}

/* One PATCH; 0 with the object in *stored, else reported. */
static int send_patch(live_run *run, live_object *lo, const char *label, const json_t *patch, bool dry_run,
                      json_t **stored)
{
    sg_kube_status st;
    char err[SG_ERRMAX];
    const char *ns = metadata_string(lo->object, "namespace"), *name = metadata_string(lo->object, "name");
    int rc = sg_kube_patch(run->kc, lo->r, ns, name, patch, dry_run, stored, &st, err, sizeof err);
    const char *stage = dry_run ? "server-side dry run" : "patch";
    if (rc == 1)
        report_refusal(run, label, stage, &st, metadata_string(lo->object, "resourceVersion"));
    else if (rc < 0) {
        fprintf(stdout, "%s: failed: %s (%s)\n", label, err, stage);
        run->failed++;
    }
    return rc == 0 ? 0 : -1;
}

/* Whether the API server's dry run keeps what the fix heals: a mutating webhook could undo it. */
static bool still_unhealthy(live_run *run, const json_t *object, const char *label)
{
    fix_object again;
    char err[SG_ERRMAX];
    if (fix_decide(&run->ctx, object, SG_SCORE_UPDATE, true, &again, err, sizeof err) < 0)
        return false;
    bool bad = again.wanted > 0;
    if (bad) {
        fprintf(stdout, "%s: not fixed: the API server's dry run returns it still unhealthy (an admission "
                "webhook may undo the fix), so nothing was sent\n", label);
        fix_print_unfixed(stdout, label, &again);
        run->failed++;
    }
    fix_object_free(&again);
    return bad;
}

/* --apply: the patch led by a test of the listed resourceVersion, as a dry run, then for real. */
static void apply(live_run *run, live_object *lo, const fix_object *fo, const char *label)
{
    const char *rv = metadata_string(lo->object, "resourceVersion");
    json_t *patch = json_pack("[{s:s,s:s,s:s}]", "op", "test", "path", "/metadata/resourceVersion", "value", rv);
    json_array_extend(patch, (json_t *)fo->patch);
    json_t *tried = NULL, *stored = NULL;
    if (send_patch(run, lo, label, patch, true, &tried) == 0 && !still_unhealthy(run, tried, label) &&
        send_patch(run, lo, label, patch, false, &stored) == 0) {
        char versions[256];
        snprintf(versions, sizeof versions, "(resourceVersion %s -> %s)", rv,
                 metadata_string(stored, "resourceVersion"));
        fix_print_fixed(stdout, label, "fixed", fo, versions);
        lo->after = stored;
        stored = NULL;
        run->fixed++;
    }
    json_decref(tried);
    json_decref(stored);
    json_decref(patch);
}

/* Decide one live object and fix it (or show how). */
static void fix_one(live_run *run, live_object *lo)
{
    const char *ns = metadata_string(lo->object, "namespace");
    if (run->o->namespace_ && strcmp(ns, run->o->namespace_))
        return;
    fix_object fo;
    char err[SG_ERRMAX], label[1024];
    if (fix_decide(&run->ctx, lo->object, SG_SCORE_UPDATE, true, &fo, err, sizeof err) < 0)
        return;   /* not evaluated, so not scored either; `score` says so */
    fix_label(&fo.adm.eval, NULL, label, sizeof label);
    bool patched_kind;
    const json_t *ref = owner_of(lo->object, &patched_kind);
    if (!fo.wanted || (ref && patched_kind)) {
        run->owned += fo.wanted && ref;
    } else if (ref) {
        fprintf(stdout, "%s: not fixed: a %s (%s) controls it, which scoregate does not patch; fix the %s\n", label,
                json_string_value(json_object_get(ref, "kind")), json_string_value(json_object_get(ref, "name")),
                json_string_value(json_object_get(ref, "kind")));
        run->failed++;
    } else if (!fo.patch || fo.healed < fo.wanted) {
        fix_print_unfixed(stdout, label, &fo);
        run->failed++;
    } else if (!run->o->apply) {
        char *text = sg_json_dumps(fo.patch, JSON_COMPACT, NULL);
        fix_print_fixed(stdout, label, "would fix", &fo, NULL);
        fprintf(stdout, "  patch: %s\n", text ? text : "");
        free(text);
        lo->after = json_incref((json_t *)fo.fixed);
        run->fixed++;
    } else {
        apply(run, lo, &fo, label);
    }
    fix_object_free(&fo);
}

/* Record every object (as it was, then as it is or would be) for the score before and after. */
static void score_live(live_run *run, sg_inventory *after)
{
    char why[SG_ERRMAX];
    for (size_t i = 0; i < run->count; i++) {
        const live_object *lo = &run->objects[i];
        score_record(run->ctx.policy, run->ctx.model, after, lo->after ? lo->after : lo->object, NULL, run->ctx.now,
                     why, sizeof why);
    }
    sg_score s0, s1;
    sg_inventory_score(run->ctx.inventory, &s0);
    sg_inventory_score(after, &s1);
    if (run->owned)
        fprintf(stdout, "%zu object%s a controller owns left to %s owner%s.\n", run->owned, run->owned == 1 ? "" : "s",
                run->owned == 1 ? "its" : "their", run->owned == 1 ? "" : "s");
    if (run->fixed + run->failed == 0)
        fprintf(stdout, "Nothing to fix.\n");
    else
        fprintf(stdout, "%s %zu object%s; %zu not fixed.\n", run->o->apply ? "Fixed" : "Would fix", run->fixed,
                run->fixed == 1 ? "" : "s", run->failed);
    fix_print_score(stdout, run->o->apply ? NULL : "(if applied)", &s0, &s1);
}

static int list_cluster(live_run *run, char *err, size_t errlen)
{
    size_t n;
    const sg_kube_resource *rs = sg_kube_resources(&n);
    for (size_t i = 0; i < n; i++)
        if (sg_kube_list(run->kc, &rs[i], 0, on_object, run, NULL, err, errlen) < 0)
            return -1;
    char why[SG_ERRMAX];
    for (size_t i = 0; i < run->count; i++)
        score_record(run->ctx.policy, run->ctx.model, run->ctx.inventory, run->objects[i].object, NULL, run->ctx.now,
                     why, sizeof why);
    fprintf(stderr, "scoregate fix: listed %zu objects from %s (%s)\n", run->count, sg_kube_config_server(run->kc),
            sg_kube_config_source(run->kc));
    return 0;
}

int fix_live(const sg_policy *p, const fix_options *o)
{
    live_run run = {.o = o, .ctx = {p, NULL, NULL, NULL, time(NULL)}};
    char err[SG_ERRMAX];
    sg_inventory *after = NULL;
    int status = 0;
    if (sg_score_model_from_policy(p, NULL, 0, &run.ctx.model, err, sizeof err) < 0 ||
        sg_inventory_new(run.ctx.model, &run.ctx.inventory, err, sizeof err) < 0 ||
        sg_inventory_new(run.ctx.model, &after, err, sizeof err) < 0 ||
        cli_kube_connect(o->kubeconfig, o->context, &run.kc, err, sizeof err) < 0 ||
        list_cluster(&run, err, sizeof err) < 0) {
        fprintf(stderr, "scoregate fix: %s\n", err);
        status = 2;
    }
    for (size_t i = 0; status == 0 && i < run.count; i++)
        fix_one(&run, &run.objects[i]);
    if (status == 0) {
        score_live(&run, after);
        status = run.failed ? 1 : 0;
    }
    for (size_t i = 0; i < run.count; i++) {
        json_decref(run.objects[i].object);
        json_decref(run.objects[i].after);
    }
    free(run.objects);
    sg_inventory_free(after);
    sg_inventory_free(run.ctx.inventory);
    sg_score_model_free(run.ctx.model);
    sg_kube_config_free(run.kc);
    return status;
}
