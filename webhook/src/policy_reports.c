/*
 * policy_reports.c - keeping the inventory's results in the cluster as
 * PolicyReports (server.policyReports; what they say is report_build.c's).
 *
 * One replica writes: the one holding the score history's Lease
 * (score_history.c), so that replicas never take turns rewriting the same
 * objects. A background thread wakes every second; at most once per
 * interval, when the inventory is the cluster's (the first list is
 * complete), the leader builds every report and writes those whose results
 * differ (timestamps aside) from what it last read or wrote, with
 * resourceVersion preconditions (sg_kube_write: a 409 Conflict reads the
 * report again and builds anew). Every tenth round it reads the unchanged
 * ones again, so a report someone else changed is set right even when ours
 * did not change. A namespace that no longer has resources keeps an empty report.
 *
 * The PolicyReport CRDs (wgpolicyk8s.io/v1alpha2) are not ours to install:
 * while the API server does not serve them, each round fails once, says so
 * in one log line (again only when the reason changes) and counts
 * scoregate_policyreports_errors_total{reason="crd_missing"}; the process
 * keeps serving and the next interval tries again, so installing the CRD is
 * enough for the reports to appear.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scoregate/kube.h>

#include "internal.h"

#define REREAD_EVERY 10   /* rounds between fresh reads of every report */

static const sg_kube_resource policyreports = {"wgpolicyk8s.io", "v1alpha2", "policyreports", "PolicyReport", false,
                                               true};
static const sg_kube_resource clusterpolicyreports = {"wgpolicyk8s.io", "v1alpha2", "clusterpolicyreports",
                                                      "ClusterPolicyReport", false, true};

enum { FAIL_CRD_MISSING, FAIL_API, FAIL_REASONS };
static const char *const fail_reasons[FAIL_REASONS] = {"crd_missing", "api"};

struct wh_reporter {
    sg_webhook *w;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
    double interval, next_round;
    unsigned long rounds;
    json_t *known;                      /* namespace ("" cluster) -> the report as last read or written */
    char last_error[2 * SG_ERRMAX];     /* logged once until it changes */
    atomic_ulong writes, failures[FAIL_REASONS];
    atomic_bool crd_missing, leading;
    atomic_llong last_round;            /* time of the last round that wrote or checked every report */
};

static double monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void failed(wh_reporter *r, int reason, const char *what, const char *err)
{
    atomic_fetch_add(&r->failures[reason], 1);
    char line[sizeof r->last_error];
    snprintf(line, sizeof line, "%s: %s", what, err);
    if (strcmp(line, r->last_error))
        wh_log("error", reason == FAIL_CRD_MISSING
                            ? "policy reports: the PolicyReport CRDs (wgpolicyk8s.io/v1alpha2) are not installed; "
                              "install them (see docs/policyreports.md) and the reports follow at the next interval"
                            : "policy reports: cannot write",
               json_pack("{s:s,s:s}", "reason", fail_reasons[reason], "error", line));
    snprintf(r->last_error, sizeof r->last_error, "%s", line);
}

/* The results without their timestamps: what tells whether a report changed. */
static json_t *comparable(const json_t *report)
{
    json_t *results = json_deep_copy(json_object_get(report, "results"));
    size_t i;
    json_t *x;
    json_array_foreach(results, i, x)
        json_object_del(x, "timestamp");
    return results;
}

static bool ours_and_same(const json_t *current, const json_t *desired)
{
    const json_t *labels = json_object_get(json_object_get(current, "metadata"), "labels");
    const char *by = json_string_value(json_object_get(labels, "app.kubernetes.io/managed-by"));
    if (!by || strcmp(by, "scoregate") || !json_equal(json_object_get(current, "summary"),
                                                      json_object_get(desired, "summary")))
        return false;
    json_t *a = comparable(current), *b = comparable(desired);
    bool same = a && b && json_equal(a, b);
    json_decref(a);
    json_decref(b);
    return same;
}

/* sg_kube_write's builder: nothing when the stored report says the same; else ours, keeping the stored
 * object's other labels and annotations. */
static int build(void *ctx, const json_t *current, json_t **out, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    const json_t *desired = ctx;
    if (current && ours_and_same(current, desired))
        return 1;
    json_t *obj = json_deep_copy(desired);
    const json_t *cur_meta = json_object_get(current, "metadata");
    json_t *meta = json_object_get(obj, "metadata");
    const char *keep[] = {"labels", "annotations"};
    for (int i = 0; current && i < 2; i++) {
        json_t *merged = json_deep_copy(json_object_get(cur_meta, keep[i]));
        if (!json_is_object(merged))
            continue;
        json_object_update(merged, json_object_get(meta, keep[i]));
        json_object_set_new(meta, keep[i], merged);
    }
    *out = sg_check_alloc(obj);
    return 0;
}

/* Write one report (read afresh first when `reread` and ours did not change); 1 when the CRD is not
 * served (the round stops there). */
static int write_one(wh_reporter *r, sg_kube_config *c, const char *ns, const json_t *desired, bool reread)
{
    char err[SG_ERRMAX], what[400];
    json_t *stored = NULL;
    const json_t *known = json_object_get(r->known, ns);
    if (known && ours_and_same(known, desired)) {
        if (!reread)
            return 0;   /* unchanged since last read or written: no request at all */
        known = NULL;   /* but someone else may have changed it: sg_kube_write reads it */
    }
    int rc = sg_kube_write(c, *ns ? &policyreports : &clusterpolicyreports, *ns ? ns : NULL, WH_REPORT_NAME, known,
                           build, (void *)desired, &stored, err, sizeof err);
    snprintf(what, sizeof what, "%s %s%s%s", *ns ? "PolicyReport" : "ClusterPolicyReport", ns, *ns ? "/" : "",
             WH_REPORT_NAME);
    if (rc == SG_KUBE_NOT_SERVED) {
        atomic_store(&r->crd_missing, true);
        failed(r, FAIL_CRD_MISSING, what, err);
        json_object_clear(r->known);
        return 1;
    }
    atomic_store(&r->crd_missing, false);
    if (rc < 0) {
        failed(r, FAIL_API, what, err);
        json_object_del(r->known, ns);   /* read it afresh next time */
        return 0;
    }
    if (stored) {
        atomic_fetch_add(&r->writes, 1);
        json_object_set_new(r->known, ns, stored);
    }
    return 0;
}

/* One round of the leader: every report built and written where it changed. */
static void write_all(wh_reporter *r)
{
    sg_webhook *w = r->w;
    sg_kube_config *c = wh_sync_config(w);
    wh_snapshot *snap = wh_current(w);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    char err[SG_ERRMAX];
    json_t *reports = c ? wh_reports_build(w, snap, &now, err, sizeof err) : NULL;
    wh_snapshot_unref(snap);
    if (!reports) {
        r->next_round = monotonic() + 1;   /* a reload in progress: soon again */
        return;
    }
    bool reread = ++r->rounds % REREAD_EVERY == 0;
    const char *ns;
    json_t *report;
    json_object_foreach(r->known, ns, report)
        if (!json_object_get(reports, ns)) {   /* no resources there any more: an empty report */
            json_t *empty = sg_policyreport_new(*ns ? ns : NULL, WH_REPORT_NAME), *none = json_array();
            json_object_set_new(empty, "summary", sg_policyreport_summary(none));
            json_object_set_new(empty, "results", none);
            json_object_set_new(reports, ns, empty);
        }
    unsigned long failures = atomic_load(&r->failures[FAIL_API]);
    json_object_foreach(reports, ns, report)
        if (write_one(r, c, ns, report, reread))
            break;
    json_decref(reports);
    if (!atomic_load(&r->crd_missing) && failures == atomic_load(&r->failures[FAIL_API])) {
        if (*r->last_error)
            wh_log("info", "policy reports written again", NULL);
        r->last_error[0] = '\0';
        atomic_store(&r->last_round, (long long)time(NULL));
    }
}

static void tick(wh_reporter *r)
{
    bool leading = wh_keeper_leading(r->w);
    if (leading && !atomic_load(&r->leading))
        json_object_clear(r->known);   /* another replica may have written meanwhile: read first */
    atomic_store(&r->leading, leading);
    double now = monotonic();
    if (!leading || !atomic_load(&r->w->inventory_current) || now < r->next_round)
        return;
    r->next_round = now + r->interval;
    write_all(r);
}

static void *run(void *arg)
{
    wh_reporter *r = arg;
    pthread_mutex_lock(&r->lock);
    while (!r->stop) {
        pthread_mutex_unlock(&r->lock);
        tick(r);
        pthread_mutex_lock(&r->lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        if (!r->stop)
            pthread_cond_timedwait(&r->wake, &r->lock, &until);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

static void reporter_free(wh_reporter *r)
{
    json_decref(r->known);
    pthread_cond_destroy(&r->wake);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

int wh_reports_start(sg_webhook *w, char *err, size_t errlen)
{
    const wh_settings *s = &w->snap->server;
    if (!s->policy_reports)
        return 0;
    if (!wh_sync_config(w) || !w->keeper)
        return sg_err(err, errlen, "server.policyReports: the inventory sync and the score history's Lease are "
                      "needed to write the reports");
    wh_reporter *r = sg_calloc(1, sizeof *r);
    r->w = w;
    r->interval = s->policy_reports_interval;
    r->known = sg_check_alloc(json_object());
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->wake, NULL);
    if (pthread_create(&r->thread, NULL, run, r)) {
        reporter_free(r);
        return sg_err(err, errlen, "server.policyReports: cannot start its thread");
    }
    w->reporter = r;
    wh_metrics_collector(w->metrics, WH_COLLECT_REPORTS, wh_reports_collect, w);
    wh_log("info", "policy reports kept in the cluster",
           json_pack("{s:s,s:I}", "apiVersion", SG_POLICYREPORT_API, "intervalSeconds", (json_int_t)r->interval));
    return 0;
}

void wh_reports_stop(sg_webhook *w)
{
    wh_reporter *r = w->reporter;
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->stop = true;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    w->reporter = NULL;
    reporter_free(r);
}

/* The PolicyReports' metrics (ctx: the sg_webhook), while they are written. */
void wh_reports_collect(void *ctx, FILE *f)
{
    sg_webhook *w = ctx;
    wh_reporter *r = w->reporter;
    if (!r)
        return;
    fputs("# HELP scoregate_policyreports_leader 1 while this replica writes the PolicyReports.\n"
          "# TYPE scoregate_policyreports_leader gauge\n", f);
    fprintf(f, "scoregate_policyreports_leader %d\n", atomic_load(&r->leading) ? 1 : 0);
    fputs("# HELP scoregate_policyreports_writes_total PolicyReports created or replaced.\n"
          "# TYPE scoregate_policyreports_writes_total counter\n", f);
    fprintf(f, "scoregate_policyreports_writes_total %lu\n", atomic_load(&r->writes));
    fputs("# HELP scoregate_policyreports_errors_total Rounds or writes that failed, by reason.\n"
          "# TYPE scoregate_policyreports_errors_total counter\n", f);
    for (int i = 0; i < FAIL_REASONS; i++)
        fprintf(f, "scoregate_policyreports_errors_total{reason=\"%s\"} %lu\n", fail_reasons[i],
                atomic_load(&r->failures[i]));
    fputs("# HELP scoregate_policyreports_crd_missing 1 while the API server does not serve the PolicyReport CRDs.\n"
          "# TYPE scoregate_policyreports_crd_missing gauge\n", f);
    fprintf(f, "scoregate_policyreports_crd_missing %d\n", atomic_load(&r->crd_missing) ? 1 : 0);
    fputs("# HELP scoregate_policyreports_last_success_timestamp_seconds Last round that wrote or confirmed every "
          "report.\n# TYPE scoregate_policyreports_last_success_timestamp_seconds gauge\n", f);
    if (atomic_load(&r->last_round))
        fprintf(f, "scoregate_policyreports_last_success_timestamp_seconds %lld\n", atomic_load(&r->last_round));
}
