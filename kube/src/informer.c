/*
 * informer.c - keep the consumer in step with the API server, like a
 * client-go informer but without a cache of objects: one background thread
 * drives every kind's requests on one curl multi handle. Per kind:
 *
 *   list (pages, limit/continue) --done--> watch from the list's resourceVersion
 *      ^                                      |  healthy stream ended: watch again at once
 *      |                                      |  (resuming from the last resourceVersion)
 *      +- 410 Gone (ERROR event or HTTP), ----+  anything else: retry after the backoff
 *         after the backoff
 *
 * The backoff is client-go's (800 ms doubling to 30 s, jittered) and is reset
 * only by a healthy watch: one that delivered an event or bookmark, or stayed
 * open HEALTHY_AFTER seconds. So an API server that answers lists but expires
 * every watch, or accepts connections and drops them, is retried ever more
 * slowly instead of in a tight loop, and the kind counts as synced only while
 * its watch is healthy. A watch that stays silent far longer than the
 * server's bookmark rhythm has hung and is replaced (watch_health.c). A
 * failure is logged once per kind and cause until the kind is healthy again.
 *
 * Every object of a list is delivered (ADDED when new, MODIFIED when known);
 * after a list, keys it no longer returned are delivered as DELETED (their
 * objects went away while no watch ran). A page whose connection broke off is
 * asked for again with its continue token. The thread never blocks the
 * caller: an unreachable API server is retried in the background.
 *
 * An optional kind (a pod controller's custom resource) that the API server
 * does not serve, 404 because its CRD is not installed, holds nothing: it
 * counts as in sync and is listed again every minute, so a CRD installed
 * later is picked up without a restart.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "informer.h"

void sg_kube_informer_options_init(sg_kube_informer_options *o)
{
    memset(o, 0, sizeof *o);
    o->page_size = 500;
    o->backoff_initial = KB_BACKOFF_INITIAL;
    o->backoff_max = KB_BACKOFF_MAX;
}

void kb_logf(sg_kube_informer *inf, const char *level, const char *fmt, ...)
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

void kb_update_synced(sg_kube_informer *inf)
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
        kb_logf(inf, "info", all ? "inventory in sync with the API server (%zu kinds listed and watched)"
                                 : "inventory out of sync with the API server (%zu kinds; see the warnings above)",
                inf->n);
        if (inf->h.synced)
            inf->h.synced(inf->h.ctx, all);
    }
}

void kb_count(sg_kube_informer *inf, unsigned long *counter)
{
    pthread_mutex_lock(&inf->lock);
    (*counter)++;
    pthread_mutex_unlock(&inf->lock);
}

void kb_deliver(kind_state *k, sg_kube_event type, const json_t *object)
{
    if (k->inf->h.object)
        k->inf->h.object(k->inf->h.ctx, type, k->r, object);
}

void kb_set_str(char **slot, const char *v)
{
    free(*slot);
    *slot = v ? sg_strdup(v) : NULL;
}

void kb_key_of(const json_t *object, const char **ns, const char **name)
{
    const json_t *meta = json_object_get(object, "metadata");
    *ns = json_string_value(json_object_get(meta, "namespace"));
    *name = json_string_value(json_object_get(meta, "name"));
    if (!*ns)
        *ns = "";
}

void kb_fail(kind_state *k, const char *cause, const char *why)
{
    sg_kube_informer *inf = k->inf;
    kb_count(inf, &inf->stats.errors);
    double delay = kb_backoff_next(&k->backoff);
    k->due = kb_now() + delay;
    k->failures++;
    if (strcmp(k->cause, cause) != 0) {
        snprintf(k->cause, sizeof k->cause, "%s", cause);
        kb_logf(inf, "warn", "%s (retrying with backoff, next in %.1fs; until it works again, repeats of this error "
                "are not logged)", why, delay);
    }
    k->synced = false;
    kb_update_synced(inf);
}

void kb_recovered(kind_state *k)
{
    kb_backoff_reset(&k->backoff);
    if (k->failures)
        kb_logf(k->inf, "info", "%s: listed and watched again after %u failed attempt%s", k->r->resource,
                k->failures, k->failures == 1 ? "" : "s");
    k->failures = 0;
    k->cause[0] = '\0';
}

void kb_start_relist(kind_state *k, const char *why, bool gone)
{
    k->need_list = true;
    k->relist_pending = false;
    kb_set_str(&k->cont, NULL);
    k->list_restarts = 0;
    k->due = kb_now();
    if (k->listed)
        kb_count(k->inf, &k->inf->stats.relists);
    if (!gone) {
        kb_logf(k->inf, "info", "%s: listing again (%s)", k->r->resource, why);
        return;
    }
    /* The watch could not be kept: not in sync, and the relist waits for the backoff. */
    k->due += kb_backoff_next(&k->backoff);
    k->failures++;
    if (strcmp(k->cause, "gone") != 0) {
        snprintf(k->cause, sizeof k->cause, "gone");
        kb_logf(k->inf, "warn", "%s: listing again (%s; until a watch holds, repeats are not logged)", k->r->resource,
                why);
    }
    k->synced = false;
    kb_update_synced(k->inf);
}

static void start(kind_state *k)
{
    sg_kube_informer *inf = k->inf;
    char url[4096], err[SG_ERRMAX];
    long timeout;
    k->is_watch = !k->need_list;
    if (!k->is_watch && !k->cont)
        k->metadata_only = k->r->metadata_only || atomic_load(&k->want_metadata_only);
    const char *accept = NULL;
    if (k->is_watch) {
        k->watch_timeout = inf->o.watch_timeout ? inf->o.watch_timeout : 300 + (unsigned)(kb_random(&inf->rng) * 300);
        kb_watch_url(k->r, k->rv, k->watch_timeout, url, sizeof url);
        timeout = (long)k->watch_timeout + WATCH_GRACE;
        accept = k->metadata_only ? KB_ACCEPT_METADATA : NULL;
    } else {
        kb_list_url(k->r, inf->o.page_size, k->cont, url, sizeof url);
        timeout = KB_LIST_TIMEOUT;
        accept = k->metadata_only ? KB_ACCEPT_METADATA_LIST : NULL;
    }
    kb_count(inf, &inf->stats.requests);
    if (kb_transfer_init(&k->t, inf->c, url, accept, timeout, k->is_watch ? kb_watch_line : NULL, k, err,
                         sizeof err) < 0) {
        kb_transfer_cleanup(&k->t);
        char why[SG_ERRMAX + 64];
        snprintf(why, sizeof why, "%s %s: %s", k->is_watch ? "watch" : "list", k->r->resource, err);
        kb_fail(k, "setup", why);
        return;
    }
    curl_easy_setopt(k->t.easy, CURLOPT_PRIVATE, k);
    curl_multi_add_handle(inf->multi, k->t.easy);
    k->active = true;
    k->started = kb_now();
    k->healthy = false;
    k->last_data = k->started;
    k->last_bookmark = 0;
}

void kb_stop_transfer(kind_state *k)
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
    kb_deliver(k, SG_KUBE_DELETED, tombstone);
    json_decref(tombstone);
}

/* A list request failed: retry the page (a broken connection keeps its continue token) or the list. */
static void list_failed(kind_state *k, CURLcode rc)
{
    long status = kb_transfer_status(&k->t);
    char what[128], err[SG_ERRMAX], cause[64];
    snprintf(what, sizeof what, "list %s", k->r->resource);
    kb_transfer_error(&k->t, rc, what, err, sizeof err);
    if (!kb_transfer_broke(&k->t, rc)) {
        kb_set_str(&k->cont, NULL);
        k->list_restarts = 0;
    }
    snprintf(cause, sizeof cause, "list:%d:%ld", (int)rc, status);
    kb_fail(k, cause, err);
}

/* An optional kind the API server does not serve (404: its CRD is not
 * installed, or no longer): it holds nothing, so what it held is deleted and
 * it counts as in sync; it is listed again later, for a CRD installed
 * meanwhile. Said once until it is served. */
static void not_served(kind_state *k)
{
    k->gen++;
    kb_keyset_sweep(k->keys, k->gen, sweep_one, k);
    kb_set_str(&k->cont, NULL);
    k->list_restarts = 0;
    double recheck = k->inf->o.not_served_recheck > 0 ? k->inf->o.not_served_recheck : KB_NOT_SERVED_RECHECK;
    k->due = kb_now() + recheck;
    if (strcmp(k->cause, "not-served") != 0) {
        snprintf(k->cause, sizeof k->cause, "not-served");
        kb_logf(k->inf, "info", "%s.%s: not served by the API server (its CustomResourceDefinition is not "
                "installed): nothing to list; asked again every %.0f s", k->r->resource, k->r->group, recheck);
    }
    k->synced = true;
    kb_update_synced(k->inf);
}

static void finish_list(kind_state *k, CURLcode rc)
{
    long status = kb_transfer_status(&k->t);
    char err[SG_ERRMAX];
    if (rc == CURLE_OK && status == 404 && k->r->optional) {
        not_served(k);
        return;
    }
    if (rc == CURLE_OK && status == 410 && k->cont && k->list_restarts < 3) {
        /* The continue token expired: the list starts over. */
        k->list_restarts++;
        kb_set_str(&k->cont, NULL);
        k->due = kb_now();
        return;
    }
    if (rc != CURLE_OK || status != 200) {
        list_failed(k, rc);
        return;
    }
    kb_page page;
    if (kb_page_parse(k->r, k->t.body.data, k->t.body.len, &page, err, sizeof err) < 0) {
        kb_set_str(&k->cont, NULL);
        k->list_restarts = 0;
        kb_fail(k, "list:parse", err);
        return;
    }
    if (!k->cont)
        k->gen++;
    for (size_t i = 0; i < page.nitems; i++) {
        /* One object's tree at a time (kb_page_item): freed before the next is built. */
        json_t *item = kb_page_item(&page, i);
        const char *ns, *name;
        kb_object_clean(k->r, item);
        kb_key_of(item, &ns, &name);
        if (name) {
            bool added = kb_keyset_put(k->keys, ns, name, k->gen);
            kb_deliver(k, added ? SG_KUBE_ADDED : SG_KUBE_MODIFIED, item);
        }
        json_decref(item);
    }
    k->due = kb_now();
    if (page.continue_token && *page.continue_token) {
        kb_set_str(&k->cont, page.continue_token);
        kb_page_free(&page);
        return;
    }
    kb_keyset_sweep(k->keys, k->gen, sweep_one, k);
    kb_set_str(&k->cont, NULL);
    k->list_restarts = 0;
    kb_set_str(&k->rv, page.resource_version);
    kb_page_free(&page);
    k->need_list = false;
    k->listed = true;
}

static void finish(kind_state *k, CURLcode rc)
{
    curl_multi_remove_handle(k->inf->multi, k->t.easy);
    if (k->is_watch)
        kb_finish_watch(k, rc);
    else
        finish_list(k, rc);
    kb_transfer_cleanup(&k->t);
    k->active = false;
}

/* Seconds until the next request is due (at most 1), or 0 when one is due now. */
static double next_wait(sg_kube_informer *inf)
{
    double wait = 1.0, now = kb_now();
    for (size_t i = 0; i < inf->n; i++)
        if (!inf->kinds[i].active && inf->kinds[i].due - now < wait)
            wait = inf->kinds[i].due - now;
    return wait;
}

static void *run(void *arg)
{
    sg_kube_informer *inf = arg;
    while (!atomic_load(&inf->stop)) {
        if (atomic_exchange(&inf->relist, false))
            for (size_t i = 0; i < inf->n; i++) {
                kb_stop_transfer(&inf->kinds[i]);
                kb_start_relist(&inf->kinds[i], "requested", false);
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
        for (size_t i = 0; i < inf->n; i++)
            kb_check_watch(&inf->kinds[i]);
        double wait = next_wait(inf);
        if (wait > 0)
            curl_multi_poll(inf->multi, NULL, 0, (int)(wait * 1000) + 1, NULL);
    }
    for (size_t i = 0; i < inf->n; i++)
        kb_stop_transfer(&inf->kinds[i]);
    return NULL;
}

/* The options with their defaults filled in. */
static void set_options(sg_kube_informer *inf, const sg_kube_informer_options *o)
{
    if (o)
        inf->o = *o;
    else
        sg_kube_informer_options_init(&inf->o);
    if (!inf->o.page_size)
        inf->o.page_size = 500;
    if (inf->o.backoff_initial <= 0)
        inf->o.backoff_initial = KB_BACKOFF_INITIAL;
    if (inf->o.backoff_max <= 0)
        inf->o.backoff_max = KB_BACKOFF_MAX;
    if (!inf->o.resources)
        inf->o.resources = sg_kube_resources(&inf->o.nresources);
}

int sg_kube_informer_start(sg_kube_config *c, const sg_kube_informer_options *o, const sg_kube_handler *h,
                           sg_kube_informer **out, char *err, size_t errlen)
{
    *out = NULL;
    kb_curl_init();
    sg_kube_informer *inf = sg_calloc(1, sizeof *inf);
    inf->c = c;
    set_options(inf, o);
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
        atomic_init(&k->want_metadata_only, k->r->metadata_only);
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

void sg_kube_informer_metadata_only(sg_kube_informer *inf, size_t index, bool on)
{
    if (index < inf->n)
        atomic_store(&inf->kinds[index].want_metadata_only, on || inf->kinds[index].r->metadata_only);
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
