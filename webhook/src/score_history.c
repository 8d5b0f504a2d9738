/*
 * score_history.c - keeping the score history while serving (the history's
 * rules and text are the scoring module's). A background thread looks at the
 * score every second and keeps what sg_history_observe() samples:
 *
 *  - Outside a cluster (no inventory sync): in the state directory
 *    (history.json), saved crash-safely right after each new sample, so a
 *    SIGKILL at any moment loses at most the sample being taken.
 *  - In a cluster (server.inventorySync): pods are replaced on every upgrade
 *    and their state directory with them, so the history lives in one
 *    ConfigMap (server.history.name, in server.history.namespace or the pod's
 *    own). One replica writes it: the one holding the Lease of the same name
 *    (leader election, kube module). A new leader first reads the ConfigMap
 *    and merges it into its own history, then samples; every write carries
 *    the resourceVersion read (a conflict reads and merges again) and never
 *    replaces a history of a newer version. The other replicas read the
 *    ConfigMap every few seconds and show exactly that.
 *
 * Samples are taken only from an inventory that is the cluster's (the first
 * list after start is complete), so a pod that just started never records
 * its empty inventory as the score. A stop writes what is new and releases
 * the Lease, so the next replica takes over at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <scoregate/kube.h>

#include "internal.h"

#define HISTORY_FILE "history.json"
#define READ_EVERY 10.0              /* seconds between a follower's reads of the ConfigMap */
#define DATA_KEY "history"

static const sg_kube_resource configmaps = {"", "v1", "configmaps", "ConfigMap", false, false};

struct wh_keeper {
    sg_webhook *w;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
    unsigned long written;           /* history generation last saved or written */
    unsigned long encoded;           /* generation of the text being written */
    char last_error[2 * SG_ERRMAX];  /* what failed and why, logged once until it changes */
    atomic_ulong failures;
    time_t last_write;
    /* In a cluster. */
    sg_kube_config *config;          /* the inventory sync's (borrowed: it is stopped after us) */
    sg_kube_elector *elector;
    const char *ns;                  /* borrowed from the webhook (preflight) */
    char *name, *identity;
    json_t *known;                   /* the ConfigMap as last read or written */
    bool merged;                     /* this leadership term has merged the cluster's history */
    atomic_bool leading;
    double next_round, next_read;
};

static double monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Log a failure once until the message changes; count it. */
static void failed(wh_keeper *k, const char *what, const char *err)
{
    atomic_fetch_add(&k->failures, 1);
    char line[sizeof k->last_error];
    snprintf(line, sizeof line, "%s: %s", what, err);
    if (strcmp(line, k->last_error))
        wh_log("error", "score history", json_pack("{s:s}", "error", line));
    snprintf(k->last_error, sizeof k->last_error, "%s", line);
}

static void succeeded(wh_keeper *k)
{
    if (*k->last_error)
        wh_log("info", "score history kept again", NULL);
    k->last_error[0] = '\0';
    k->last_write = time(NULL);
}

/* Sample the score when the inventory is the cluster's (or admissions are its only source). */
static void observe(wh_keeper *k)
{
    sg_webhook *w = k->w;
    if (!atomic_load(&w->inventory_current))
        return;
    sg_score s;
    sg_inventory_score(w->inv, &s);
    sg_history_observe(w->history, &s, time(NULL));
}

static void local_tick(wh_keeper *k)
{
    sg_webhook *w = k->w;
    observe(k);
    unsigned long g = sg_history_generation(w->history);
    if (!w->history_path || g == k->written)
        return;
    char err[SG_ERRMAX];
    if (sg_history_save(w->history, w->history_path, err, sizeof err) < 0) {
        failed(k, "cannot save", err);
        return;
    }
    k->written = g;
    succeeded(k);
}

/* The history text of a ConfigMap into `h` (replacing it); 1 when it holds none, -1 on a bad or newer one. */
static int read_into(wh_keeper *k, const json_t *cm, sg_history *h, char *err, size_t errlen)
{
    const char *text = json_string_value(json_object_get(json_object_get(cm, "data"), DATA_KEY));
    if (!text)
        return 1;
    char name[600];
    snprintf(name, sizeof name, "configmap %s/%s", k->ns, k->name);
    return sg_history_decode(h, name, text, strlen(text), NULL, err, errlen) < 0 ? -1 : 0;
}

/* What the leader writes: the ConfigMap as it is (labels, annotations and
 * other keys kept) with the cluster's history merged into ours. */
static int build(void *ctx, const json_t *current, json_t **out, char *err, size_t errlen)
{
    wh_keeper *k = ctx;
    sg_history *theirs = sg_history_new();
    int rc = current ? read_into(k, current, theirs, err, errlen) : 1;
    if (rc == 0)
        sg_history_merge(k->w->history, theirs);
    sg_history_free(theirs);
    if (rc < 0)
        return -1;   /* a newer or broken history is never overwritten */
    size_t len;
    k->encoded = sg_history_generation(k->w->history);
    char *text = sg_history_encode(k->w->history, &len);
    json_t *cm = sg_check_alloc(current ? json_deep_copy(current)
                                        : json_pack("{s:s,s:s,s:{s:{s:s,s:s}}}", "apiVersion", "v1", "kind",
                                                    "ConfigMap", "metadata", "labels", "app.kubernetes.io/name",
                                                    "scoregate", "app.kubernetes.io/component", "score-history"));
    json_t *data = json_object_get(cm, "data");
    if (!json_is_object(data)) {
        data = sg_check_alloc(json_object());
        json_object_set_new(cm, "data", data);
    }
    json_object_set_new(data, DATA_KEY, sg_check_alloc(json_stringn(text, len)));
    free(text);
    *out = cm;
    return 0;
}

/* The leader: merge the cluster's history once a term, sample, write what is new. */
static void lead(wh_keeper *k)
{
    sg_webhook *w = k->w;
    char err[SG_ERRMAX];
    if (!k->merged) {
        json_t *cm = NULL;
        sg_history *theirs = sg_history_new();
        int rc = sg_kube_get(k->config, &configmaps, k->ns, k->name, &cm, err, sizeof err);
        if (rc == 0)
            rc = read_into(k, cm, theirs, err, sizeof err);
        if (rc >= 0)
            sg_history_merge(w->history, theirs);
        sg_history_free(theirs);
        if (rc < 0) {
            failed(k, "cannot read the history ConfigMap", err);
            json_decref(cm);
            return;
        }
        json_decref(k->known);
        k->known = cm;
        k->merged = true;
        k->written = 0;
    }
    observe(k);
    if (sg_history_generation(w->history) == k->written)
        return;
    json_t *stored = NULL;
    if (sg_kube_write(k->config, &configmaps, k->ns, k->name, k->known, build, k, &stored, err, sizeof err) < 0) {
        failed(k, "cannot write the history ConfigMap", err);
        json_decref(k->known);
        k->known = NULL;   /* read it afresh next time */
        return;
    }
    if (stored) {
        json_decref(k->known);
        k->known = stored;
        k->written = k->encoded;
        succeeded(k);
    }
}

/* A follower shows the leader's history. */
static void follow(wh_keeper *k, double now)
{
    k->merged = false;
    if (now < k->next_read)
        return;
    k->next_read = now + READ_EVERY;
    json_t *cm = NULL;
    char err[SG_ERRMAX];
    int rc = sg_kube_get(k->config, &configmaps, k->ns, k->name, &cm, err, sizeof err);
    if (rc == 0 && read_into(k, cm, k->w->history, err, sizeof err) < 0)
        rc = -1;
    json_decref(cm);
    if (rc < 0)
        failed(k, "cannot read the history ConfigMap", err);
    else
        k->last_error[0] = '\0';
}

static void cluster_tick(wh_keeper *k)
{
    double now = monotonic();
    char err[SG_ERRMAX];
    if (now >= k->next_round) {
        k->next_round = now + sg_kube_elector_retry_period(k->elector);
        if (sg_kube_elector_try(k->elector, now, err, sizeof err) < 0)
            failed(k, "leader election", err);
    }
    bool leading = sg_kube_elector_leading(k->elector, monotonic());
    atomic_store(&k->leading, leading);
    if (leading)
        lead(k);
    else
        follow(k, now);
}

static void *run(void *arg)
{
    wh_keeper *k = arg;
    pthread_mutex_lock(&k->lock);
    while (!k->stop) {
        pthread_mutex_unlock(&k->lock);
        if (k->elector)
            cluster_tick(k);
        else
            local_tick(k);
        pthread_mutex_lock(&k->lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        if (!k->stop)
            pthread_cond_timedwait(&k->wake, &k->lock, &until);
    }
    pthread_mutex_unlock(&k->lock);
    return NULL;
}

int wh_history_namespace(sg_webhook *w, char *err, size_t errlen)
{
    const wh_settings *s = &w->snap->server;
    const char *env = getenv("POD_NAMESPACE");
    w->history_namespace = s->history_namespace ? sg_strdup(s->history_namespace)
                           : env && *env         ? sg_strdup(env)
                                                 : sg_kube_pod_namespace(NULL);
    if (!w->history_namespace)
        return sg_err(err, errlen, "server.history.namespace is not set and scoregate does not run in a pod (no "
                      "$POD_NAMESPACE, no service account namespace file): set it, so that the score history can be "
                      "kept in the cluster");
    return 0;
}

/* This replica's identity in the Lease: the pod (host) name and a random suffix, as client-go's examples do. */
static char *identity(void)
{
    char host[200] = "scoregate", *id = sg_malloc(256);
    unsigned char rnd[4] = {0};
    FILE *f = fopen("/dev/urandom", "rb");
    gethostname(host, sizeof host - 1);
    if (!f || fread(rnd, 1, sizeof rnd, f) != sizeof rnd) {
        unsigned long x = (unsigned long)getpid() ^ (unsigned long)time(NULL);
        memcpy(rnd, &x, sizeof rnd);
    }
    if (f)
        fclose(f);
    snprintf(id, 256, "%s_%02x%02x%02x%02x", host, rnd[0], rnd[1], rnd[2], rnd[3]);
    return id;
}

static int cluster_setup(wh_keeper *k, const wh_settings *s, char *err, size_t errlen)
{
    char kerr[SG_ERRMAX];
    k->ns = k->w->history_namespace;
    k->name = sg_strdup(s->history_name);
    k->identity = identity();
    sg_kube_lease_options lo = {k->ns, k->name, k->identity, 0, 0, 0};
    k->config = wh_sync_config(k->w);
    if (!k->config)
        return sg_err(err, errlen, "score history: the inventory sync has no connection");
    if (sg_kube_elector_new(k->config, &lo, &k->elector, kerr, sizeof kerr) < 0) {
        snprintf(err, errlen, "score history: %s", kerr);
        return -1;
    }
    wh_log("info", "score history kept in the cluster", json_pack("{s:s,s:s,s:s}", "namespace", k->ns, "configMap",
                                                                   k->name, "identity", k->identity));
    return 0;
}

static void keeper_free(wh_keeper *k)
{
    sg_kube_elector_free(k->elector);
    json_decref(k->known);
    free(k->name);
    free(k->identity);
    pthread_cond_destroy(&k->wake);
    pthread_mutex_destroy(&k->lock);
    free(k);
}

int wh_keeper_start(sg_webhook *w, char *err, size_t errlen)
{
    const wh_settings *s = &w->snap->server;
    wh_keeper *k = sg_calloc(1, sizeof *k);
    k->w = w;
    pthread_mutex_init(&k->lock, NULL);
    pthread_cond_init(&k->wake, NULL);
    atomic_init(&k->leading, false);
    k->written = sg_history_generation(w->history);
    if ((s->inventory_sync && cluster_setup(k, s, err, errlen) < 0) || pthread_create(&k->thread, NULL, run, k)) {
        if (!*err)
            snprintf(err, errlen, "score history: cannot start its thread");
        keeper_free(k);
        return -1;
    }
    w->keeper = k;
    return 0;
}

void wh_keeper_stop(sg_webhook *w)
{
    wh_keeper *k = w->keeper;
    if (!k)
        return;
    pthread_mutex_lock(&k->lock);
    k->stop = true;
    pthread_cond_signal(&k->wake);
    pthread_mutex_unlock(&k->lock);
    pthread_join(k->thread, NULL);
    char err[SG_ERRMAX];
    if (!k->elector) {
        local_tick(k);
    } else if (sg_kube_elector_leading(k->elector, monotonic())) {
        lead(k);
        if (sg_kube_elector_release(k->elector, err, sizeof err) < 0)
            failed(k, "cannot release the Lease", err);
    }
    w->keeper = NULL;
    keeper_free(k);
}

void wh_history_open(sg_webhook *w)
{
    w->history = sg_history_new();
    wh_metrics_collector(w->metrics, WH_COLLECT_HISTORY, wh_keeper_collect, w);
    if (!w->opts.persist || w->snap->server.inventory_sync)
        return;
    size_t len = strlen(w->state_dir) + sizeof "/" HISTORY_FILE;
    w->history_path = sg_malloc(len);
    snprintf(w->history_path, len, "%s/%s", w->state_dir, HISTORY_FILE);
    char lerr[SG_ERRMAX];
    if (access(w->history_path, F_OK) == 0 && sg_history_load(w->history, w->history_path, lerr, sizeof lerr) < 0) {
        char aside[4200];
        snprintf(aside, sizeof aside, "%s.corrupt", w->history_path);
        rename(w->history_path, aside);
        wh_log("error", "the saved score history cannot be loaded; starting a new one",
               json_pack("{s:s,s:s}", "error", lerr, "setAside", aside));
    }
}

bool wh_keeper_leading(sg_webhook *w)
{
    return w->keeper && w->keeper->elector && atomic_load(&w->keeper->leading);
}

/* The score history's metrics (ctx: the sg_webhook), when there is one. */
void wh_keeper_collect(void *ctx, FILE *f)
{
    sg_webhook *w = ctx;
    wh_keeper *k = w->keeper;
    if (!w->history)
        return;
    fputs("# HELP scoregate_history_samples Samples of the secure score kept for the dashboard's chart.\n"
          "# TYPE scoregate_history_samples gauge\n", f);
    fprintf(f, "scoregate_history_samples %zu\n", sg_history_count(w->history));
    if (k && k->elector) {
        fputs("# HELP scoregate_history_leader 1 while this replica holds the Lease and writes the history.\n"
              "# TYPE scoregate_history_leader gauge\n", f);
        fprintf(f, "scoregate_history_leader %d\n", atomic_load(&k->leading) ? 1 : 0);
    }
    if (k) {
        fputs("# HELP scoregate_history_failures_total Failed saves, reads or writes of the score history.\n"
              "# TYPE scoregate_history_failures_total counter\n", f);
        fprintf(f, "scoregate_history_failures_total %lu\n", atomic_load(&k->failures));
    }
}
