/*
 * metrics.c - counters and the Prometheus text exposition of /metrics.
 *
 * Labelled counters live in one small table per metric, keyed by their label
 * values; the table is bounded (kind and recommendation names come from
 * requests and settings, so they must not grow memory without end): past
 * WH_SERIES_MAX series new label sets are counted under "other". The latency
 * histogram has sub-millisecond buckets, because a decision takes tens of
 * microseconds.
 *
 * /metrics is one output that collectors append to, in the order of their
 * slots (wh_collector_slot): the counters here, the score gauges read from
 * the inventory at scrape time (also here), and what the sync, the saved
 * inventory and the score history keep, each in its own file. A part
 * registers its collector when it is set up, so this file names none of
 * them and none of them reads another's text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define WH_SERIES_MAX 512
#define WH_LABEL_MAX 64

static const double buckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                 0.01,   0.025,   0.05,   0.1,   0.25,   0.5, 1, 2.5};
#define NBUCKETS (sizeof buckets / sizeof buckets[0])

typedef struct series {
    char labels[3][WH_LABEL_MAX];
    unsigned long long count;
} series;

typedef struct table {
    series *items;
    size_t n, cap;
} table;

/* Reloads of one thing (settings, certificate): how the last ones went. */
typedef struct reloads {
    unsigned long long failures;
    time_t last_success;     /* 0: never loaded */
    bool last_ok;
} reloads;

/* The metric names and help texts of each kind of reload (wh_reload order). */
static const struct {
    const char *prefix;
    const char *what;
} reload_names[WH_RELOAD_KINDS] = {
    {"scoregate_config", "settings file"},
    {"scoregate_certificate", "serving certificate"},
};

struct wh_metrics {
    pthread_mutex_t lock;
    table requests;      /* operation, kind, decision */
    table findings;      /* recommendation, action */
    unsigned long long bucket[NBUCKETS];
    unsigned long long observations;
    double sum;
    reloads reload[WH_RELOAD_KINDS];
    unsigned long long refused;   /* connections closed at once: --max-connections were open */
    /* Registered before serving starts, read without a lock at scrape time. */
    struct {
        wh_collect_fn fn;
        void *ctx;
    } collectors[WH_COLLECTORS];
};

static void collect_counters(void *ctx, FILE *f);

wh_metrics *wh_metrics_new(void)
{
    wh_metrics *m = sg_calloc(1, sizeof *m);
    pthread_mutex_init(&m->lock, NULL);
    wh_metrics_collector(m, WH_COLLECT_ADMISSION, collect_counters, m);
    return m;
}

void wh_metrics_collector(wh_metrics *m, wh_collector_slot slot, wh_collect_fn fn, void *ctx)
{
    m->collectors[slot].fn = fn;
    m->collectors[slot].ctx = ctx;
}

char *wh_metrics_text(wh_metrics *m, size_t *len)
{
    char *data = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&data, &size);
    if (!f)
        return NULL;
    for (int i = 0; i < WH_COLLECTORS; i++)
        if (m->collectors[i].fn)
            m->collectors[i].fn(m->collectors[i].ctx, f);
    if (fclose(f) != 0) {
        free(data);
        return NULL;
    }
    *len = size;
    return data;
}

void wh_metrics_free(wh_metrics *m)
{
    if (!m)
        return;
    free(m->requests.items);
    free(m->findings.items);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

/* Label values are copied with anything outside [A-Za-z0-9._/-] replaced, so
 * the exposition never needs escaping and a request cannot inject lines. */
static void label_copy(char *dst, const char *src)
{
    size_t i = 0;
    for (; src && src[i] && i < WH_LABEL_MAX - 1; i++) {
        char c = src[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '/' || c == '-';
        dst[i] = ok ? c : '_';
    }
    dst[i] = '\0';
}

static series *find(table *t, const series *key)
{
    for (size_t i = 0; i < t->n; i++)
        if (!memcmp(t->items[i].labels, key->labels, sizeof key->labels))
            return &t->items[i];
    return NULL;
}

static void bump(table *t, size_t nlabels, const char *const *values, unsigned long long by)
{
    series key = {0};
    for (size_t i = 0; i < nlabels; i++)
        label_copy(key.labels[i], values[i]);
    series *s = find(t, &key);
    if (!s && t->n >= WH_SERIES_MAX - 1) {
        /* Full: the last slot holds one overflow series with every label "other". */
        memset(&key, 0, sizeof key);
        for (size_t i = 0; i < nlabels; i++)
            strcpy(key.labels[i], "other");
        s = find(t, &key);
    }
    if (s) {
        s->count += by;
        return;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        series *grown = sg_realloc(t->items, cap * sizeof *grown);
        t->items = grown;
        t->cap = cap;
    }
    key.count = by;
    t->items[t->n++] = key;
}

void wh_metrics_request(wh_metrics *m, const char *operation, const char *kind, const char *decision,
                        double seconds)
{
    const char *values[3] = {operation, kind, decision};
    pthread_mutex_lock(&m->lock);
    bump(&m->requests, 3, values, 1);
    for (size_t i = 0; i < NBUCKETS; i++)
        if (seconds <= buckets[i])
            m->bucket[i]++;
    m->observations++;
    m->sum += seconds;
    pthread_mutex_unlock(&m->lock);
}

void wh_metrics_finding(wh_metrics *m, const char *recommendation, const char *action, size_t count)
{
    const char *values[2] = {recommendation, action};
    pthread_mutex_lock(&m->lock);
    bump(&m->findings, 2, values, count);
    pthread_mutex_unlock(&m->lock);
}

void wh_metrics_reload(wh_metrics *m, wh_reload what, bool ok, time_t now)
{
    pthread_mutex_lock(&m->lock);
    reloads *r = &m->reload[what];
    r->last_ok = ok;
    if (ok)
        r->last_success = now;
    else
        r->failures++;
    pthread_mutex_unlock(&m->lock);
}

void wh_metrics_refused(wh_metrics *m)
{
    pthread_mutex_lock(&m->lock);
    m->refused++;
    pthread_mutex_unlock(&m->lock);
}

/* The reload and connection counters; lock held. */
static void render_health(wh_metrics *m, FILE *f)
{
    for (int i = 0; i < WH_RELOAD_KINDS; i++) {
        const reloads *r = &m->reload[i];
        const char *p = reload_names[i].prefix, *what = reload_names[i].what;
        if (!r->last_success)
            continue;
        fprintf(f, "# HELP %s_reload_failures_total Reloads of the %s that were rejected (the previous one stays in "
                   "force).\n# TYPE %s_reload_failures_total counter\n%s_reload_failures_total %llu\n",
                p, what, p, p, r->failures);
        fprintf(f, "# HELP %s_last_reload_successful 1 when the last load of the %s worked, 0 while a broken one "
                   "is rejected.\n# TYPE %s_last_reload_successful gauge\n%s_last_reload_successful %d\n",
                p, what, p, p, r->last_ok ? 1 : 0);
        fprintf(f, "# HELP %s_last_reload_success_timestamp_seconds Last time the %s was loaded (at start or on a "
                   "reload).\n# TYPE %s_last_reload_success_timestamp_seconds gauge\n"
                   "%s_last_reload_success_timestamp_seconds %lld\n",
                p, what, p, p, (long long)r->last_success);
    }
    fputs("# HELP scoregate_connections_refused_total Connections closed as soon as they were accepted because "
          "--max-connections were open.\n# TYPE scoregate_connections_refused_total counter\n", f);
    fprintf(f, "scoregate_connections_refused_total %llu\n", m->refused);
}

/* Admission requests, their durations and findings, reloads and refused connections. */
static void collect_counters(void *ctx, FILE *f)
{
    wh_metrics *m = ctx;
    pthread_mutex_lock(&m->lock);
    fputs("# HELP scoregate_admission_requests_total AdmissionReview requests answered.\n"
          "# TYPE scoregate_admission_requests_total counter\n", f);
    for (size_t i = 0; i < m->requests.n; i++) {
        const series *s = &m->requests.items[i];
        fprintf(f, "scoregate_admission_requests_total{operation=\"%s\",kind=\"%s\",decision=\"%s\"} %llu\n",
                s->labels[0], s->labels[1], s->labels[2], s->count);
    }
    fputs("# HELP scoregate_admission_duration_seconds Time to decide one AdmissionReview.\n"
          "# TYPE scoregate_admission_duration_seconds histogram\n", f);
    for (size_t i = 0; i < NBUCKETS; i++)
        fprintf(f, "scoregate_admission_duration_seconds_bucket{le=\"%g\"} %llu\n", buckets[i], m->bucket[i]);
    fprintf(f, "scoregate_admission_duration_seconds_bucket{le=\"+Inf\"} %llu\n", m->observations);
    fprintf(f, "scoregate_admission_duration_seconds_sum %.9f\n", m->sum);
    fprintf(f, "scoregate_admission_duration_seconds_count %llu\n", m->observations);
    fputs("# HELP scoregate_findings_total Unhealthy findings in admission requests.\n"
          "# TYPE scoregate_findings_total counter\n", f);
    for (size_t i = 0; i < m->findings.n; i++) {
        const series *s = &m->findings.items[i];
        fprintf(f, "scoregate_findings_total{recommendation=\"%s\",action=\"%s\"} %llu\n", s->labels[0],
                s->labels[1], s->count);
    }
    render_health(m, f);
    pthread_mutex_unlock(&m->lock);
}

/* The score of the inventory, its size and the serving certificate's expiry (ctx: the sg_webhook). */
void wh_score_collect(void *ctx, FILE *f)
{
    sg_webhook *w = ctx;
    sg_score score;
    sg_inventory_score(w->inv, &score);
    fputs("# HELP scoregate_secure_score_percent Secure score of the inventory (absent when nothing is scored).\n"
          "# TYPE scoregate_secure_score_percent gauge\n", f);
    if (score.has_percent)
        fprintf(f, "scoregate_secure_score_percent %.2f\n", score.percent);
    fputs("# HELP scoregate_control_points Current points of each control.\n"
          "# TYPE scoregate_control_points gauge\n", f);
    for (size_t i = 0; i < score.ncontrols; i++) {
        char id[WH_LABEL_MAX];
        label_copy(id, score.controls[i].id);
        fprintf(f, "scoregate_control_points{control=\"%s\"} %.2f\n", id, score.controls[i].current);
    }
    fputs("# HELP scoregate_control_max_points Effective maximum points of each control (0 when it has no resources).\n"
          "# TYPE scoregate_control_max_points gauge\n", f);
    for (size_t i = 0; i < score.ncontrols; i++) {
        char id[WH_LABEL_MAX];
        label_copy(id, score.controls[i].id);
        fprintf(f, "scoregate_control_max_points{control=\"%s\"} %.2f\n", id, score.controls[i].max);
    }
    fputs("# HELP scoregate_inventory_resources Resources in the score inventory.\n"
          "# TYPE scoregate_inventory_resources gauge\n", f);
    fprintf(f, "scoregate_inventory_resources %zu\n", sg_inventory_count(w->inv));
    fputs("# HELP scoregate_certificate_expiry_timestamp_seconds notAfter of the serving certificate.\n"
          "# TYPE scoregate_certificate_expiry_timestamp_seconds gauge\n", f);
    if (w->tls)
        fprintf(f, "scoregate_certificate_expiry_timestamp_seconds %lld\n", (long long)wh_tls_expiry(w->tls));
}
