/*
 * webhook.c - the life of a webhook: load the policy and the saved
 * inventory, answer reviews in memory (sg_webhook_review), reload on SIGHUP,
 * save periodically, and run the HTTPS server until SIGTERM.
 *
 * Signals are handled synchronously: sg_webhook_serve() blocks SIGTERM,
 * SIGINT and SIGHUP before any server thread exists, and its main thread
 * waits for them with a one-second timeout, doing the periodic work (saving
 * the inventory when it changed, looking at the certificate files) in
 * between. No code runs in a signal handler.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <scoregate/certs.h>

#include "internal.h"

#define INVENTORY_FILE "inventory.bin"
#define CERT_RENEW_INTERVAL 3600   /* seconds between sg_certs_ensure() runs on self-managed certificates */

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

wh_snapshot *wh_current(sg_webhook *w)
{
    pthread_mutex_lock(&w->snap_lock);
    wh_snapshot *s = wh_snapshot_ref(w->snap);
    pthread_mutex_unlock(&w->snap_lock);
    return s;
}

/* Load the saved inventory; one that cannot be loaded is set aside (never lost) and the server starts empty. */
static void load_inventory(sg_webhook *w)
{
    if (access(w->inventory_path, F_OK) < 0)
        return;
    char lerr[SG_ERRMAX];
    if (sg_inventory_load(w->inv, w->inventory_path, lerr, sizeof lerr) < 0) {
        char aside[PATH_MAX];
        snprintf(aside, sizeof aside, "%s.corrupt", w->inventory_path);
        rename(w->inventory_path, aside);
        wh_log("error", "the saved inventory cannot be loaded; starting empty",
               json_pack("{s:s,s:s}", "error", lerr, "setAside", aside));
        return;
    }
    sg_inventory_reload_policy(w->inv, w->snap->model, w->snap->policy, time(NULL));
    wh_log("info", "inventory loaded",
           json_pack("{s:s,s:I}", "path", w->inventory_path, "resources", (json_int_t)sg_inventory_count(w->inv)));
}

int sg_webhook_new(const sg_webhook_options *o, sg_webhook **out, char *err, size_t errlen)
{
    sg_webhook *w = sg_calloc(1, sizeof *w);
    w->opts = *o;
    pthread_mutex_init(&w->snap_lock, NULL);
    pthread_mutex_init(&w->save_lock, NULL);
    pthread_mutex_init(&w->health_lock, NULL);
    atomic_init(&w->dirty, false);
    atomic_init(&w->ready, false);
    atomic_init(&w->draining, false);
    atomic_init(&w->inflight, 0);
    w->metrics = wh_metrics_new();
    w->decisions = wh_decisions_new();
    w->config_path = o->config_path ? sg_strdup(o->config_path) : NULL;
    if (wh_snapshot_load(w->config_path, 1, &w->snap, err, errlen) < 0)
        goto fail;
    wh_health_reload(w, WH_RELOAD_SETTINGS, 0, NULL);
    const sg_server_settings *ss = sg_policy_server(w->snap->policy);
    w->address = sg_strdup(o->address ? o->address : ss->address ? ss->address : ":8443");
    w->state_dir = sg_strdup(o->state_dir ? o->state_dir : ss->state_dir ? ss->state_dir : "./scoregate-state");
    w->dashboard_address = sg_strdup(o->dashboard_address ? o->dashboard_address : ss->dashboard_address);
    atomic_init(&w->inventory_current, !ss->inventory_sync);
    if (o->serving && wh_preflight(w, err, errlen) < 0)
        goto fail;
    if (sg_inventory_new(w->snap->model, &w->inv, err, errlen) < 0)
        goto fail;
    if (o->persist) {
        size_t len = strlen(w->state_dir) + sizeof "/" INVENTORY_FILE;
        w->inventory_path = sg_malloc(len);
        snprintf(w->inventory_path, len, "%s/%s", w->state_dir, INVENTORY_FILE);
        load_inventory(w);
    }
    wh_history_open(w);
    *out = w;
    return 0;
fail:
    w->opts.persist = false;
    sg_webhook_free(w);
    return -1;
}

/* Remember how a save went, for /metrics and /readyz; log when saving works again. */
static void note_save(sg_webhook *w, int rc, const char *err)
{
    pthread_mutex_lock(&w->health_lock);
    bool recovered = rc == 0 && w->save_error[0];
    unsigned long failures = w->save_failures;
    if (rc == 0) {
        w->last_save = time(NULL);
        w->save_error[0] = '\0';
    } else {
        w->save_failures++;
        snprintf(w->save_error, sizeof w->save_error, "%s", err);
    }
    pthread_mutex_unlock(&w->health_lock);
    if (recovered)
        wh_log("info", "inventory saved again", json_pack("{s:s,s:I}", "path", w->inventory_path,
                                                          "failuresSoFar", (json_int_t)failures));
}

int sg_webhook_save(sg_webhook *w, char *err, size_t errlen)
{
    if (!w->inventory_path)
        return 0;
    pthread_mutex_lock(&w->save_lock);
    int rc = 0;
    if (atomic_exchange(&w->dirty, false)) {
        rc = sg_inventory_save(w->inv, w->inventory_path, err, errlen);
        if (rc < 0)
            atomic_store(&w->dirty, true);
        note_save(w, rc, err);
    }
    pthread_mutex_unlock(&w->save_lock);
    return rc;
}

char *wh_persist_metrics(sg_webhook *w, char *text, size_t *len)
{
    if (!w->inventory_path || !text)
        return text;
    pthread_mutex_lock(&w->health_lock);
    unsigned long failures = w->save_failures;
    time_t last = w->last_save;
    bool failing = w->save_error[0] != '\0';
    pthread_mutex_unlock(&w->health_lock);
    char *data = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&data, &size);
    if (!f)
        return text;
    fwrite(text, 1, *len, f);
    fputs("# HELP scoregate_inventory_persisted 1 while the saved inventory is current or being kept current, "
          "0 while saving fails.\n"
          "# TYPE scoregate_inventory_persisted gauge\n", f);
    fprintf(f, "scoregate_inventory_persisted %d\n", failing ? 0 : 1);
    fputs("# HELP scoregate_inventory_save_failures_total Inventory saves that failed (disk full, read-only, ...).\n"
          "# TYPE scoregate_inventory_save_failures_total counter\n", f);
    fprintf(f, "scoregate_inventory_save_failures_total %lu\n", failures);
    fputs("# HELP scoregate_inventory_last_save_timestamp_seconds Last successful inventory save.\n"
          "# TYPE scoregate_inventory_last_save_timestamp_seconds gauge\n", f);
    if (last)
        fprintf(f, "scoregate_inventory_last_save_timestamp_seconds %lld\n", (long long)last);
    if (fclose(f) != 0) {
        free(data);
        return text;
    }
    free(text);
    *len = size;
    return data;
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
    free(w->inventory_path);
    pthread_mutex_destroy(&w->snap_lock);
    pthread_mutex_destroy(&w->save_lock);
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

int sg_webhook_review(sg_webhook *w, sg_webhook_endpoint ep, const char *body, size_t len, unsigned *status,
                      char **out, size_t *outlen)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const char *endpoint = ep == SG_WEBHOOK_MUTATE ? "/mutate" : "/validate";
    char err[SG_ERRMAX];
    wh_request r;
    if (wh_request_decode(body, len, &r, err, sizeof err) < 0) {
        wh_metrics_request(w->metrics, "unknown", "unknown", "error", seconds_since(&t0));
        wh_log("warn", err, json_pack("{s:i,s:s}", "status", 400, "path", endpoint));
        *status = 400;
        *out = wh_error_body(400, err, outlen);
        return *out ? 0 : -1;
    }
    wh_snapshot *snap = wh_current(w);
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
        json_t *fields = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:s,s:s,s:s,s:f}", "uid", r.uid, "path", endpoint,
                                   "operation", r.operation_name, "kind", r.kind, "namespace", r.namespace_, "name",
                                   object_name(&r), "decision", res.decision, "dryRun", r.dry_run, "scoreBefore",
                                   res.score_before, "scoreAfter", res.score_after, "failed",
                                   res.failed ? res.failed : "", "latencyMs", (double)(long)(took * 1e6) / 1000.0);
        if (res.expired)
            json_object_set(fields, "expiredExemptions", res.expired);
        wh_log(res.allowed ? "info" : "notice", "admission", fields);
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

/* Make sure there is a serving certificate; *own says scoregate manages it. */
static int prepare_certs(sg_webhook *w, char *cert, char *key, size_t size, bool *own, char *err, size_t errlen)
{
    const sg_server_settings *ss = sg_policy_server(w->snap->policy);
    *own = !ss->cert_file;
    if (!*own) {
        snprintf(cert, size, "%s", ss->cert_file);
        snprintf(key, size, "%s", ss->key_file);
        return 0;
    }
    static const char *const extra[] = {"localhost", "127.0.0.1"};
    sg_certs_options co;
    sg_certs_options_init(&co);
    co.extra_names = extra;
    co.nextra = 2;
    sg_certs_action done;
    if (sg_certs_ensure(w->state_dir, &co, time(NULL), &done, err, errlen) < 0)
        return -1;
    snprintf(cert, size, "%s/" SG_CERTS_TLS_CERT, w->state_dir);
    snprintf(key, size, "%s/" SG_CERTS_TLS_KEY, w->state_dir);
    if (done != SG_CERTS_UNCHANGED)
        wh_log("info", "self-signed certificates", json_pack("{s:s,s:s}", "dir", w->state_dir, "action",
                                                             sg_certs_action_name(done)));
    return 0;
}

static void print_banner(sg_webhook *w, bool own)
{
    const char *colon = strrchr(w->address, ':');
    const char *port = colon ? colon + 1 : "8443";
    printf("scoregate: serving the admission webhook on %s (POST /validate, /mutate; GET /healthz, /readyz, /metrics)\n",
           w->address);
    if (*w->dashboard_address)
        printf("scoregate: the dashboard (read-only) on %s://%s/\n", w->dashboard_plain ? "http" : "https",
               w->dashboard_address);
    if (own) {
        printf("scoregate: self-signed certificates in %s; clients trust %s/" SG_CERTS_CA_CERT "\n", w->state_dir,
               w->state_dir);
        printf("scoregate: try: curl --cacert %s/" SG_CERTS_CA_CERT " https://localhost:%s/healthz\n", w->state_dir,
               port);
    }
    fflush(stdout);
}

static void periodic(sg_webhook *w, bool own, time_t now, time_t *last_save, time_t *last_cert, time_t *last_renew)
{
    char err[SG_ERRMAX];
    if (now - *last_save >= (time_t)w->opts.save_interval) {
        *last_save = now;
        if (sg_webhook_save(w, err, sizeof err) < 0)
            wh_log("error", "cannot save the inventory", json_pack("{s:s}", "error", err));
    }
    if (own && now - *last_renew >= CERT_RENEW_INTERVAL) {
        *last_renew = now;
        sg_certs_options co;
        sg_certs_options_init(&co);
        static const char *const extra[] = {"localhost", "127.0.0.1"};
        co.extra_names = extra;
        co.nextra = 2;
        sg_certs_action done;
        if (sg_certs_ensure(w->state_dir, &co, now, &done, err, sizeof err) < 0)
            wh_log("error", "cannot renew the self-signed certificates", json_pack("{s:s}", "error", err));
    }
    if (now - *last_cert >= (time_t)w->opts.cert_check_interval) {
        *last_cert = now;
        int rc = wh_tls_check(w->tls, err, sizeof err);
        if (rc < 0)
            wh_log("error", "new serving certificate rejected; keeping the old one", json_pack("{s:s}", "error", err));
        else if (rc > 0)
            wh_log("info", "serving certificate reloaded",
                   json_pack("{s:I}", "notAfter", (json_int_t)wh_tls_expiry(w->tls)));
        if (rc != 0)
            wh_health_reload(w, WH_RELOAD_CERTIFICATE, rc, err);
    }
}

/* A failure to start: logged (the log is JSON from the first line on) and returned. */
static int start_failed(int fd, int dfd, char *err)
{
    wh_log("error", err, NULL);
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
    return -1;
}

int sg_webhook_serve(sg_webhook *w, char *err, size_t errlen)
{
    char cert[PATH_MAX], key[PATH_MAX];
    bool own;
    int fd, dfd = -1;
    /* Bind first: a port in use is reported before anything is written. */
    if (wh_listen(w->address, &fd, err, errlen) < 0)
        return start_failed(-1, -1, err);
    if (*w->dashboard_address && wh_listen(w->dashboard_address, &dfd, err, errlen) < 0) {
        size_t n = strlen(err);
        snprintf(err + n, errlen - n, " (the dashboard: choose another address with --dashboard-address or "
                 "server.dashboard.address, or \"\" to turn it off)");
        return start_failed(fd, -1, err);
    }
    if (sg_mkdirs(w->state_dir, err, errlen) < 0 || prepare_certs(w, cert, key, sizeof cert, &own, err, errlen) < 0 ||
        wh_tls_new(cert, key, &w->tls, err, errlen) < 0)
        return start_failed(fd, dfd, err);
    wh_health_reload(w, WH_RELOAD_CERTIFICATE, 0, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    void *daemon, *dashboard = NULL;
    if (wh_server_start(w, fd, &daemon, err, errlen) < 0)
        return start_failed(-1, dfd, err);
    if (wh_sync_start(w, err, errlen) < 0 || wh_dashboard_start(w, dfd, &dashboard, err, errlen) < 0 ||
        wh_keeper_start(w, err, errlen) < 0 || wh_reports_start(w, err, errlen) < 0) {
        wh_keeper_stop(w);
        wh_dashboard_stop(dashboard);
        wh_server_stop(w, daemon, 0);
        return start_failed(-1, dashboard ? -1 : dfd, err);
    }
    atomic_store(&w->ready, true);
    wh_log("info", "serving", json_pack("{s:s,s:s,s:s}", "address", w->address, "certFile", cert, "config",
                                        w->config_path ? w->config_path : "(built-in defaults)"));
    print_banner(w, own);
    time_t now = time(NULL), last_save = now, last_cert = now, last_renew = now;
    for (;;) {
        struct timespec tick = {1, 0};
        int sig = sigtimedwait(&set, NULL, &tick);
        if (sig == SIGTERM || sig == SIGINT)
            break;
        if (sig == SIGHUP) {
            char rerr[SG_ERRMAX];
            if (sg_webhook_reload(w, rerr, sizeof rerr) < 0)
                wh_log("error", "config reload failed; keeping the old config", json_pack("{s:s}", "error", rerr));
            else
                wh_log("info", "config reloaded", json_pack("{s:I}", "generation", (json_int_t)w->snap->generation));
        }
        periodic(w, own, time(NULL), &last_save, &last_cert, &last_renew);
    }
    wh_log("info", "shutting down: draining requests in flight", NULL);
    atomic_store(&w->ready, false);
    wh_dashboard_stop(dashboard);
    wh_server_stop(w, daemon, w->opts.timeout + 1);
    wh_reports_stop(w);  /* first: it follows the keeper's Lease and writes with the sync's connection */
    wh_keeper_stop(w);   /* then: it writes the history with the sync's connection */
    wh_sync_stop(w);
    char serr[SG_ERRMAX];
    if (sg_webhook_save(w, serr, sizeof serr) < 0)
        wh_log("error", "cannot save the inventory", json_pack("{s:s}", "error", serr));
    wh_log("info", "stopped", NULL);
    return 0;
}
