/*
 * informer.c - keep the consumer in step with the API server, like a
 * client-go informer but without a cache of objects: one background thread
 * drives every kind's requests on one curl multi handle. Per kind:
 *
 *   list (pages, limit/continue) --done--> watch from the list's resourceVersion
 *      ^                                      |  stream ended (timeoutSeconds): watch again at once
 *      |                                      |  stream dropped: watch again after a short backoff
 *      +---- 410 Gone (ERROR event or HTTP) --+  request failed: retry after capped, jittered backoff
 *
 * Every object of a list is delivered (ADDED when new, MODIFIED when known);
 * after a relist, keys the list no longer returns are delivered as DELETED
 * (their objects went away while no watch ran). Bookmarks only move the
 * resourceVersion a reconnect resumes from. The thread never blocks the
 * caller: an unreachable API server is retried in the background.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define WATCH_GRACE 30            /* seconds a watch may outlive its timeoutSeconds */
#define MIN_HEALTHY_WATCH 1.0     /* a watch ending sooner without data counts as a failure */

typedef struct kind_state {
    sg_kube_informer *inf;
    const sg_kube_resource *r;
    kb_keyset *keys;
    unsigned gen;                /* generation of the current or last list */
    bool listed;                 /* a list has completed at least once */
    bool synced;                 /* listed, and the last watch or list request worked */
    bool need_list;              /* the next request starts a list */
    bool relist_pending;         /* a watch reported 410 Gone */
    bool is_watch;               /* the running transfer is a watch */
    bool active;
    char *cont;                  /* continue token of a list in progress */
    char *rv;                    /* resourceVersion to watch from */
    unsigned list_restarts;
    kb_transfer t;
    double due;                  /* monotonic time of the next request */
    double started;
    kb_backoff backoff;
    char last_err[SG_ERRMAX];
} kind_state;

struct sg_kube_informer {
    sg_kube_config *c;
    sg_kube_informer_options o;
    sg_kube_handler h;
    kind_state *kinds;
    size_t n;
    CURLM *multi;
    pthread_t thread;
    atomic_bool stop;
    atomic_bool relist;
    pthread_mutex_t lock;        /* guards stats */
    sg_kube_stats stats;
    uint64_t rng;
};

void sg_kube_informer_options_init(sg_kube_informer_options *o)
{
    memset(o, 0, sizeof *o);
    o->page_size = 500;
    o->backoff_initial = 0.5;
    o->backoff_max = 30;
}

static void logf_(sg_kube_informer *inf, const char *level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void logf_(sg_kube_informer *inf, const char *level, const char *fmt, ...)
{
    if (!inf->h.log)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    inf->h.log(inf->h.ctx, level, buf);
}

/* Recompute the informer-wide synced state; tell the handler when it changes. */
static void update_synced(sg_kube_informer *inf)
{
    bool all = true;
    for (size_t i = 0; i < inf->n; i++)
        all = all && inf->kinds[i].synced;
    pthread_mutex_lock(&inf->lock);
    bool changed = all != inf->stats.synced;
    inf->stats.synced = all;
    if (all)
        inf->stats.last_sync = time(NULL);
    pthread_mutex_unlock(&inf->lock);
    if (changed) {
        logf_(inf, "info", all ? "inventory in sync with the API server (%zu kinds listed and watched)"
                               : "inventory out of sync with the API server (%zu kinds; see the errors above)",
              inf->n);
        if (inf->h.synced)
            inf->h.synced(inf->h.ctx, all);
    }
}

static void count(sg_kube_informer *inf, unsigned long *counter)
{
    pthread_mutex_lock(&inf->lock);
    (*counter)++;
    pthread_mutex_unlock(&inf->lock);
}

static void deliver(kind_state *k, sg_kube_event type, const json_t *object)
{
    if (k->inf->h.object)
        k->inf->h.object(k->inf->h.ctx, type, k->r, object);
}

static void set_str(char **slot, const char *v)
{
    free(*slot);
    *slot = v ? sg_strdup(v) : NULL;
}

static void key_of(const json_t *object, const char **ns, const char **name)
{
    const json_t *meta = json_object_get(object, "metadata");
    *ns = json_string_value(json_object_get(meta, "namespace"));
    *name = json_string_value(json_object_get(meta, "name"));
    if (!*ns)
        *ns = "";
}

/* A request failed: not synced, retry after the backoff; log when the reason changed. */
static void fail(kind_state *k, const char *why)
{
    sg_kube_informer *inf = k->inf;
    count(inf, &inf->stats.errors);
    double delay = kb_backoff_next(&k->backoff);
    k->due = kb_now() + delay;
    if (strcmp(k->last_err, why) != 0) {
        snprintf(k->last_err, sizeof k->last_err, "%s", why);
        logf_(inf, "warn", "%s (retrying with backoff, next in %.1fs)", why, delay);
    }
    k->synced = false;
    update_synced(inf);
}

/* A request worked: forget the backoff and the last error. */
static void recovered(kind_state *k)
{
    kb_backoff_reset(&k->backoff);
    if (k->last_err[0]) {
        logf_(k->inf, "info", "%s: the API server answers again", k->r->resource);
        k->last_err[0] = '\0';
    }
}

static void start_relist(kind_state *k, const char *why)
{
    k->need_list = true;
    k->relist_pending = false;
    set_str(&k->cont, NULL);
    k->list_restarts = 0;
    k->due = kb_now();
    if (k->listed)
        count(k->inf, &k->inf->stats.relists);
    logf_(k->inf, "info", "%s: listing again (%s)", k->r->resource, why);
}

static int watch_line(void *ctx, char *line, size_t len)
{
    kind_state *k = ctx;
    sg_kube_informer *inf = k->inf;
    kb_event ev;
    char err[SG_ERRMAX];
    if (kb_event_parse(line, len, &ev, err, sizeof err) < 0) {
        logf_(inf, "warn", "watch %s: %s; reconnecting", k->r->resource, err);
        return 1;
    }
    count(inf, &inf->stats.events[ev.type]);
    int stop = 0;
    const char *ns, *name;
    switch (ev.type) {
    case SG_KUBE_ERROR:
        if (ev.code == 410) {
            k->relist_pending = true;
        } else {
            logf_(inf, "warn", "watch %s: the API server sent an error (code %ld): %s", k->r->resource, ev.code,
                  ev.message);
        }
        stop = 1;
        break;
    case SG_KUBE_BOOKMARK:
        set_str(&k->rv, ev.resource_version);
        break;
    case SG_KUBE_ADDED:
    case SG_KUBE_MODIFIED:
    case SG_KUBE_DELETED:
        kb_object_clean(k->r, ev.object);
        key_of(ev.object, &ns, &name);
        if (!name) {
            logf_(inf, "warn", "watch %s: an event without metadata.name was ignored", k->r->resource);
            break;
        }
        if (ev.type == SG_KUBE_DELETED)
            kb_keyset_remove(k->keys, ns, name);
        else
            kb_keyset_put(k->keys, ns, name, k->gen);
        deliver(k, ev.type, ev.object);
        set_str(&k->rv, ev.resource_version);
        break;
    default:
        break;
    }
    if (ev.type != SG_KUBE_ERROR && k->synced) {
        pthread_mutex_lock(&inf->lock);
        if (inf->stats.synced)
            inf->stats.last_sync = time(NULL);
        pthread_mutex_unlock(&inf->lock);
    }
    kb_event_free(&ev);
    return stop;
}

static void start(kind_state *k)
{
    sg_kube_informer *inf = k->inf;
    char url[4096], err[SG_ERRMAX];
    long timeout;
    k->is_watch = !k->need_list;
    if (k->is_watch) {
        unsigned wt = inf->o.watch_timeout ? inf->o.watch_timeout : 300 + (unsigned)(kb_random(&inf->rng) * 300);
        kb_watch_url(k->r, k->rv, wt, url, sizeof url);
        timeout = (long)wt + WATCH_GRACE;
    } else {
        kb_list_url(k->r, inf->o.page_size, k->cont, url, sizeof url);
        timeout = KB_LIST_TIMEOUT;
    }
    if (kb_transfer_init(&k->t, inf->c, url, timeout, k->is_watch ? watch_line : NULL, k, err, sizeof err) < 0) {
        kb_transfer_cleanup(&k->t);
        char why[SG_ERRMAX + 64];
        snprintf(why, sizeof why, "%s %s: %s", k->is_watch ? "watch" : "list", k->r->resource, err);
        fail(k, why);
        return;
    }
    curl_easy_setopt(k->t.easy, CURLOPT_PRIVATE, k);
    curl_multi_add_handle(inf->multi, k->t.easy);
    k->active = true;
    k->started = kb_now();
}

static void stop_transfer(kind_state *k)
{
    if (!k->active)
        return;
    curl_multi_remove_handle(k->inf->multi, k->t.easy);
    kb_transfer_cleanup(&k->t);
    k->active = false;
}

static void sweep_one(void *ctx, const char *ns, const char *name)
{
    kind_state *k = ctx;
    char api_version[128];
    kb_resource_api_version(k->r, api_version, sizeof api_version);
    json_t *tombstone = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", api_version, "kind", k->r->kind, "metadata", "name", name);
    if (!tombstone)
        sg_oom();
    if (*ns)
        json_object_set_new(json_object_get(tombstone, "metadata"), "namespace", json_string(ns));
    deliver(k, SG_KUBE_DELETED, tombstone);
    json_decref(tombstone);
}

static void finish_list(kind_state *k, CURLcode rc)
{
    long status = kb_transfer_status(&k->t);
    char what[128], err[SG_ERRMAX];
    snprintf(what, sizeof what, "list %s", k->r->resource);
    if (rc == CURLE_OK && status == 410 && k->cont && k->list_restarts < 3) {
        k->list_restarts++;
        set_str(&k->cont, NULL);
        k->due = kb_now();
        return;
    }
    if (rc != CURLE_OK || status != 200) {
        if (status == 401)
            kb_config_token_rejected(k->inf->c);
        kb_transfer_error(&k->t, rc, what, err, sizeof err);
        set_str(&k->cont, NULL);
        k->list_restarts = 0;
        fail(k, err);
        return;
    }
    kb_page page;
    if (kb_page_parse(k->r, k->t.body.data, k->t.body.len, &page, err, sizeof err) < 0) {
        set_str(&k->cont, NULL);
        k->list_restarts = 0;
        fail(k, err);
        return;
    }
    if (!k->cont)
        k->gen++;
    size_t i;
    json_t *item;
    json_array_foreach(page.items, i, item) {
        const char *ns, *name;
        kb_object_clean(k->r, item);
        key_of(item, &ns, &name);
        if (!name)
            continue;
        bool added = kb_keyset_put(k->keys, ns, name, k->gen);
        deliver(k, added ? SG_KUBE_ADDED : SG_KUBE_MODIFIED, item);
    }
    recovered(k);
    k->due = kb_now();
    if (page.continue_token && *page.continue_token) {
        set_str(&k->cont, page.continue_token);
        kb_page_free(&page);
        return;
    }
    kb_keyset_sweep(k->keys, k->gen, sweep_one, k);
    set_str(&k->cont, NULL);
    k->list_restarts = 0;
    set_str(&k->rv, page.resource_version);
    kb_page_free(&page);
    k->need_list = false;
    k->listed = true;
    k->synced = true;
    update_synced(k->inf);
}

static void finish_watch(kind_state *k, CURLcode rc)
{
    long status = kb_transfer_status(&k->t);
    char what[128], err[SG_ERRMAX];
    snprintf(what, sizeof what, "watch %s", k->r->resource);
    if (k->relist_pending || status == 410) {
        start_relist(k, "resourceVersion too old: 410 Gone");
        return;
    }
    if (status == 200 && !k->t.aborted && !k->t.too_large) {
        if (rc == CURLE_OK && (k->t.got_data || kb_now() - k->started >= MIN_HEALTHY_WATCH)) {
            k->due = kb_now();
            return;
        }
        count(k->inf, &k->inf->stats.errors);
        double delay = kb_backoff_next(&k->backoff);
        k->due = kb_now() + delay;
        logf_(k->inf, "info", "watch %s: the stream ended early (%s); resuming from resourceVersion %s in %.1fs",
              k->r->resource, rc == CURLE_OK ? "closed by the server" : curl_easy_strerror(rc), k->rv, delay);
        return;
    }
    if (status == 401)
        kb_config_token_rejected(k->inf->c);
    if (k->t.aborted && status == 200) {
        count(k->inf, &k->inf->stats.errors);
        k->due = kb_now() + kb_backoff_next(&k->backoff);
        return;
    }
    kb_transfer_error(&k->t, rc, what, err, sizeof err);
    fail(k, err);
}

static void finish(kind_state *k, CURLcode rc)
{
    curl_multi_remove_handle(k->inf->multi, k->t.easy);
    if (k->is_watch)
        finish_watch(k, rc);
    else
        finish_list(k, rc);
    kb_transfer_cleanup(&k->t);
    k->active = false;
}

static void *run(void *arg)
{
    sg_kube_informer *inf = arg;
    while (!atomic_load(&inf->stop)) {
        if (atomic_exchange(&inf->relist, false))
            for (size_t i = 0; i < inf->n; i++) {
                stop_transfer(&inf->kinds[i]);
                start_relist(&inf->kinds[i], "requested");
            }
        double now = kb_now();
        for (size_t i = 0; i < inf->n; i++)
            if (!inf->kinds[i].active && now >= inf->kinds[i].due)
                start(&inf->kinds[i]);
        int running;
        curl_multi_perform(inf->multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(inf->multi, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            kind_state *k = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&k);
            finish(k, msg->data.result);
        }
        for (size_t i = 0; i < inf->n; i++) {
            kind_state *k = &inf->kinds[i];
            if (k->active && k->is_watch && k->t.established && !k->synced && k->listed) {
                k->synced = true;
                recovered(k);
                update_synced(inf);
            }
        }
        double wait = 1.0;
        now = kb_now();
        for (size_t i = 0; i < inf->n; i++)
            if (!inf->kinds[i].active && inf->kinds[i].due - now < wait)
                wait = inf->kinds[i].due - now;
        if (wait > 0)
            curl_multi_poll(inf->multi, NULL, 0, (int)(wait * 1000) + 1, NULL);
    }
    for (size_t i = 0; i < inf->n; i++)
        stop_transfer(&inf->kinds[i]);
    return NULL;
}

int sg_kube_informer_start(sg_kube_config *c, const sg_kube_informer_options *o, const sg_kube_handler *h,
                           sg_kube_informer **out, char *err, size_t errlen)
{
    *out = NULL;
    kb_curl_init();
    sg_kube_informer *inf = sg_calloc(1, sizeof *inf);
    inf->c = c;
    if (o)
        inf->o = *o;
    else
        sg_kube_informer_options_init(&inf->o);
    if (!inf->o.page_size)
        inf->o.page_size = 500;
    if (inf->o.backoff_initial <= 0)
        inf->o.backoff_initial = 0.5;
    if (inf->o.backoff_max <= 0)
        inf->o.backoff_max = 30;
    if (!inf->o.resources)
        inf->o.resources = sg_kube_resources(&inf->o.nresources);
    if (h)
        inf->h = *h;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    inf->rng = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40) ^ (uintptr_t)inf;
    pthread_mutex_init(&inf->lock, NULL);
    atomic_init(&inf->stop, false);
    atomic_init(&inf->relist, false);
    inf->n = inf->o.nresources;
    inf->kinds = sg_calloc(inf->n ? inf->n : 1, sizeof *inf->kinds);
    double now = kb_now();
    for (size_t i = 0; i < inf->n; i++) {
        kind_state *k = &inf->kinds[i];
        k->inf = inf;
        k->r = &inf->o.resources[i];
        k->keys = kb_keyset_new();
        k->need_list = true;
        k->due = now;
        kb_backoff_init(&k->backoff, inf->o.backoff_initial, inf->o.backoff_max, inf->rng + i * 7919);
    }
    inf->multi = curl_multi_init();
    if (!inf->multi) {
        snprintf(err, errlen, "cannot create a curl multi handle");
        sg_kube_informer_stop(inf);
        return -1;
    }
    int rc = pthread_create(&inf->thread, NULL, run, inf);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the inventory sync thread: %s", strerror(rc));
        curl_multi_cleanup(inf->multi);
        inf->multi = NULL;
        sg_kube_informer_stop(inf);
        return -1;
    }
    *out = inf;
    return 0;
}

void sg_kube_informer_relist(sg_kube_informer *inf)
{
    atomic_store(&inf->relist, true);
    curl_multi_wakeup(inf->multi);
}

void sg_kube_informer_stats(sg_kube_informer *inf, sg_kube_stats *out)
{
    pthread_mutex_lock(&inf->lock);
    *out = inf->stats;
    pthread_mutex_unlock(&inf->lock);
}

void sg_kube_informer_stop(sg_kube_informer *inf)
{
    if (!inf)
        return;
    if (inf->multi) {
        atomic_store(&inf->stop, true);
        curl_multi_wakeup(inf->multi);
        pthread_join(inf->thread, NULL);
        curl_multi_cleanup(inf->multi);
    }
    for (size_t i = 0; i < inf->n; i++) {
        kb_keyset_free(inf->kinds[i].keys);
        free(inf->kinds[i].cont);
        free(inf->kinds[i].rv);
    }
    free(inf->kinds);
    pthread_mutex_destroy(&inf->lock);
    free(inf);
}
