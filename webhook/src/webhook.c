/*
 * webhook.c - the webhook object: load the policy (snapshot.c) and the saved
 * inventory (persist.c), answer reviews in memory (sg_webhook_review), and
 * reload the settings (sg_webhook_reload, what SIGHUP runs). Serving over
 * HTTPS until SIGTERM is serve.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

void sg_webhook_options_init(sg_webhook_options *o)
{
    memset(o, 0, sizeof *o);
    o->persist = true;
    o->max_body = SG_WEBHOOK_DEFAULT_MAX_BODY;
    o->max_connections = SG_WEBHOOK_DEFAULT_MAX_CONNECTIONS;
    o->timeout = SG_WEBHOOK_DEFAULT_TIMEOUT;
    o->save_interval = SG_WEBHOOK_DEFAULT_SAVE_INTERVAL;
    o->cert_check_interval = SG_WEBHOOK_DEFAULT_CERT_CHECK_INTERVAL;
}

int sg_webhook_new(const sg_webhook_options *o, sg_webhook **out, char *err, size_t errlen)
{
    sg_webhook *w = sg_calloc(1, sizeof *w);
    w->opts = *o;
    pthread_mutex_init(&w->snap_lock, NULL);
    pthread_mutex_init(&w->health_lock, NULL);
    atomic_init(&w->dirty, false);
    atomic_init(&w->ready, false);
    atomic_init(&w->draining, false);
    atomic_init(&w->inflight, 0);
    w->metrics = wh_metrics_new();
    wh_metrics_collector(w->metrics, WH_COLLECT_SCORE, wh_score_collect, w);
    w->decisions = wh_decisions_new();
    w->config_path = o->config_path ? sg_strdup(o->config_path) : NULL;
    if (wh_snapshot_load(w->config_path, 1, &w->snap, err, errlen) < 0)
        goto fail;
    wh_health_reload(w, WH_RELOAD_SETTINGS, 0, NULL);
    const wh_settings *ss = &w->snap->server;
    w->address = sg_strdup(o->address ? o->address : ss->address ? ss->address : ":8443");
    w->state_dir = sg_strdup(o->state_dir ? o->state_dir : ss->state_dir ? ss->state_dir : "./scoregate-state");
    w->dashboard_address = sg_strdup(o->dashboard_address ? o->dashboard_address : ss->dashboard_address);
    atomic_init(&w->inventory_current, !ss->inventory_sync);
    if (o->serving && wh_preflight(w, err, errlen) < 0)
        goto fail;
    if (sg_inventory_new(w->snap->model, &w->inv, err, errlen) < 0)
        goto fail;
    wh_persist_open(w);
    wh_history_open(w);
    *out = w;
    return 0;
fail:
    w->opts.persist = false;
    sg_webhook_free(w);
    return -1;
}

void sg_webhook_free(sg_webhook *w)
{
    if (!w)
        return;
    wh_reports_stop(w);
    wh_sync_stop(w);
    char err[SG_ERRMAX];
    if (w->inv && w->opts.persist && sg_webhook_save(w, err, sizeof err) < 0)
        wh_log("error", "cannot save the inventory", json_pack("{s:s}", "error", err));
    sg_inventory_free(w->inv);
    wh_snapshot_unref(w->snap);
    wh_metrics_free(w->metrics);
    wh_decisions_free(w->decisions);
    sg_history_free(w->history);
    free(w->history_path);
    free(w->history_namespace);
    free(w->dashboard_address);
    free(w->dashboard_ca);
    wh_tls_free(w->tls);
    free(w->client_ca);
    free(w->config_path);
    free(w->address);
    free(w->state_dir);
    wh_persist_free(w->persist);
    pthread_mutex_destroy(&w->snap_lock);
    pthread_mutex_destroy(&w->health_lock);
    free(w);
}

int sg_webhook_reload(sg_webhook *w, char *err, size_t errlen)
{
    wh_snapshot *cur = wh_current(w);
    wh_snapshot *fresh;
    int rc = wh_snapshot_load(w->config_path, cur->generation + 1, &fresh, err, errlen);
    if (rc == 0) {
        sg_inventory_reload_policy(w->inv, fresh->model, fresh->policy, time(NULL));
        pthread_mutex_lock(&w->snap_lock);
        wh_snapshot *old = w->snap;
        w->snap = fresh;
        pthread_mutex_unlock(&w->snap_lock);
        wh_snapshot_unref(old);
        atomic_store(&w->dirty, true);
        wh_sync_relist(w);
    }
    wh_snapshot_unref(cur);
    wh_health_reload(w, WH_RELOAD_SETTINGS, rc, err);
    return rc;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static const char *object_name(const wh_request *r)
{
    if (*r->name)
        return r->name;
    const json_t *obj = r->object ? r->object : r->old_object;
    const char *name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
    return name ? name : "";
}

/* The review's log line, written as text (one per review: a tree for it cost more than the line). */
static void log_admission(const wh_request *r, const char *endpoint, const wh_result *res, double took)
{
    wh_jbuf b;
    wh_jbuf_init(&b);
    wh_log_str(&b, "uid", r->uid);
    wh_log_str(&b, "path", endpoint);
    wh_log_str(&b, "operation", r->operation_name);
    wh_log_str(&b, "kind", r->kind);
    wh_log_str(&b, "namespace", r->namespace_);
    wh_log_str(&b, "name", object_name(r));
    wh_log_str(&b, "decision", res->decision);
    wh_jbuf_put(&b, r->dry_run ? ",\"dryRun\":true" : ",\"dryRun\":false", r->dry_run ? 14 : 15);
    wh_log_str(&b, "scoreBefore", res->score_before);
    wh_log_str(&b, "scoreAfter", res->score_after);
    wh_log_str(&b, "failed", res->failed ? res->failed : "");
    char ms[48];
    wh_jbuf_put(&b, ms, (size_t)snprintf(ms, sizeof ms, ",\"latencyMs\":%.3f", (double)(long)(took * 1e6) / 1000.0));
    if (res->expired) {
        wh_jbuf_put(&b, ",\"expiredExemptions\":", 21);
        wh_jbuf_value(&b, res->expired, 0);
    }
    wh_log_text(res->allowed ? "info" : "notice", "admission", &b);
    wh_jbuf_free(&b);
}

static int review(sg_webhook *w, sg_webhook_endpoint ep, const char *body, size_t len, unsigned *status, char **out,
                  size_t *outlen)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const char *endpoint = ep == SG_WEBHOOK_MUTATE ? "/mutate" : "/validate";
    char err[SG_ERRMAX];
    wh_request r;
    wh_snapshot *snap = wh_current(w);
    if (wh_request_decode(body, len, snap->skip_managed_fields, &r, err, sizeof err) < 0) {
        wh_snapshot_unref(snap);
        wh_metrics_request(w->metrics, "unknown", "unknown", "error", seconds_since(&t0));
        wh_log("warn", err, json_pack("{s:i,s:s}", "status", 400, "path", endpoint));
        *status = 400;
        *out = wh_error_body(400, err, outlen);
        return *out ? 0 : -1;
    }
    wh_context ctx = {snap, w->inv, w->metrics, ep, time(NULL), &w->dirty, w->decisions};
    wh_result res;
    int rc = wh_decide(&ctx, &r, &res, err, sizeof err);
    *out = NULL;
    if (rc == 0)
        *out = wh_response_encode(&r, &res, outlen);
    double took = seconds_since(&t0);
    if (*out) {
        *status = 200;
        wh_metrics_request(w->metrics, r.operation_name, r.kind, res.decision, took);
        log_admission(&r, endpoint, &res, took);
    } else {
        wh_log("error", "cannot answer the review", json_pack("{s:s,s:s}", "uid", r.uid, "error", rc < 0 ? err : "the response cannot be encoded"));
        *status = 500;
        *out = wh_error_body(500, "scoregate could not answer this review; see its log", outlen);
    }
    /* wh_decide() set res up before anything could fail: free it either way. */
    wh_result_free(&res);
    wh_snapshot_unref(snap);
    wh_request_free(&r);
    return *out ? 0 : -1;
}

/* One review between the thread's arena's begin and end: every JSON tree of
 * the request (the decoded body, the evaluation's views and findings, the
 * response and the log line) is built there and dropped at once. What
 * outlives the request is not jansson's: the response text (sg_json_dumps),
 * the inventory's records, the metrics and the dashboard's recent decisions
 * (text, decisions.c) are malloc'd. */
int sg_webhook_review(sg_webhook *w, sg_webhook_endpoint ep, const char *body, size_t len, unsigned *status,
                      char **out, size_t *outlen)
{
    sg_arena_begin();
    int rc = review(w, ep, body, len, status, out, outlen);
    sg_arena_end();
    return rc;
}
