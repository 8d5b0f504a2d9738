/*
 * serve.c - running the HTTPS server until SIGTERM (sg_webhook_serve): bind
 * the listeners first, make sure a serving certificate exists, start the
 * admission server, the inventory sync, the dashboard and the score history,
 * then wait for signals, doing the periodic work (saving the inventory when
 * it changed, looking at the certificate files, renewing self-signed ones)
 * once a second; on SIGTERM drain, stop and save.
 *
 * Signals are handled synchronously: sg_webhook_serve() blocks SIGTERM,
 * SIGINT and SIGHUP before any server thread exists, and its main thread
 * waits for them with a one-second timeout. No code runs in a signal handler.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <scoregate/certs.h>

#include "internal.h"

#define CERT_RENEW_INTERVAL 3600   /* seconds between sg_certs_ensure() runs on self-managed certificates */

/* Make sure there is a serving certificate; *own says scoregate manages it. */
static int prepare_certs(sg_webhook *w, char *cert, char *key, size_t size, bool *own, char *err, size_t errlen)
{
    const wh_settings *ss = &w->snap->server;
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

static void periodic(sg_webhook *w, bool own, time_t now, time_t *last_cert, time_t *last_renew)
{
    char err[SG_ERRMAX];
    wh_persist_tick(w, now);
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
    time_t now = time(NULL), last_cert = now, last_renew = now;
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
        periodic(w, own, time(NULL), &last_cert, &last_renew);
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
