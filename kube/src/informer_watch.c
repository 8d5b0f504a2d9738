/*
 * informer_watch.c - the informer's watch streams and how it judges them.
 *
 * A watch is healthy once it delivers an event or a bookmark, or stays open
 * HEALTHY_AFTER seconds without an error; only then is the kind in sync and
 * the backoff reset. One that ends or breaks before that is a failure and is
 * retried after the backoff; one that ends after that is resumed from the last
 * resourceVersion (at once when the server closed it, after a short backoff
 * when the connection broke).
 *
 * A hung watch (the connection stays up but nothing arrives) would otherwise
 * last until its timeoutSeconds, up to ten minutes of a stale inventory. The
 * API server's watch cache sends a bookmark about every minute to a watch that
 * asked for them (and one just before timeoutSeconds), so silence far longer
 * than that means the stream is dead: after HUNG_FACTOR times the longest gap
 * seen between two bookmarks of the kind (DEFAULT_BOOKMARK_GAP until one is
 * seen; never under HUNG_MIN seconds) the watch is dropped and reconnected.
 */
#include <stdio.h>
#include <string.h>

#include "informer.h"

#define DEFAULT_BOOKMARK_GAP 60.0
#define MAX_BOOKMARK_GAP 600.0
#define HUNG_FACTOR 3.0
#define HUNG_MIN 10.0

/* The running watch proved itself: the kind is in sync, the backoff starts over. */
static void healthy(kind_state *k)
{
    k->healthy = true;
    kb_recovered(k);
    if (k->listed && !k->synced) {
        k->synced = true;
        kb_update_synced(k->inf);
    }
}

/* Stop the stream with a failure to report when it finishes. */
static int abort_with(kind_state *k, const char *cause, const char *why)
{
    snprintf(k->abort_cause, sizeof k->abort_cause, "%s", cause);
    snprintf(k->abort_why, sizeof k->abort_why, "%s", why);
    return 1;
}

static void bookmark(kind_state *k, const char *rv, double now)
{
    kb_set_str(&k->rv, rv);
    if (k->last_bookmark > 0 && now - k->last_bookmark > k->bookmark_gap)
        k->bookmark_gap = now - k->last_bookmark < MAX_BOOKMARK_GAP ? now - k->last_bookmark : MAX_BOOKMARK_GAP;
    k->last_bookmark = now;
}

/* An ADDED, MODIFIED or DELETED event: update the keys and hand the object on. */
static void object_event(kind_state *k, kb_event *ev)
{
    const char *ns, *name;
    kb_object_clean(k->r, ev->object);
    kb_key_of(ev->object, &ns, &name);
    if (!name) {
        kb_logf(k->inf, "warn", "watch %s: an event without metadata.name was ignored", k->r->resource);
        return;
    }
    if (ev->type == SG_KUBE_DELETED)
        kb_keyset_remove(k->keys, ns, name);
    else
        kb_keyset_put(k->keys, ns, name, k->gen);
    kb_deliver(k, ev->type, ev->object);
    kb_set_str(&k->rv, ev->resource_version);
}

int kb_watch_line(void *ctx, char *line, size_t len)
{
    kind_state *k = ctx;
    sg_kube_informer *inf = k->inf;
    kb_event ev;
    char err[SG_ERRMAX], why[SG_ERRMAX + 64], cause[64];
    if (kb_event_parse(line, len, &ev, err, sizeof err) < 0) {
        snprintf(why, sizeof why, "watch %s: %s; reconnecting", k->r->resource, err);
        return abort_with(k, "watch:parse", why);
    }
    kb_count(inf, &inf->stats.events[ev.type]);
    double now = kb_now();
    int stop = 0;
    switch (ev.type) {
    case SG_KUBE_ERROR:
        if (ev.code == 410) {
            k->relist_pending = true;
            stop = 1;
            break;
        }
        snprintf(why, sizeof why, "watch %s: the API server sent an error (code %ld): %s", k->r->resource, ev.code,
                 ev.message);
        snprintf(cause, sizeof cause, "watch:error:%ld", ev.code);
        stop = abort_with(k, cause, why);
        break;
    case SG_KUBE_BOOKMARK:
        bookmark(k, ev.resource_version, now);
        break;
    default:
        object_event(k, &ev);
        break;
    }
    kb_event_free(&ev);
    if (stop)
        return 1;
    k->last_data = now;
    if (!k->healthy)
        healthy(k);
    if (k->synced) {
        pthread_mutex_lock(&inf->lock);
        if (inf->stats.synced)
            inf->stats.last_sync = time(NULL);
        pthread_mutex_unlock(&inf->lock);
    }
    return 0;
}

/* A 200 stream that ended without an error event: resume, or count it as a failure. */
static void stream_ended(kind_state *k, CURLcode rc)
{
    double now = kb_now(), lasted = now - k->started;
    if (rc == CURLE_OK && (k->healthy || lasted >= k->watch_timeout / 2.0)) {
        /* Closed by the server at its timeoutSeconds: resume at once. */
        k->due = now;
        return;
    }
    char why[SG_ERRMAX + 128];
    const char *how = rc == CURLE_OK ? "closed by the server" : curl_easy_strerror(rc);
    if (!k->healthy) {
        snprintf(why, sizeof why, "watch %s: the stream ended after %.1fs without an event or bookmark (%s)",
                 k->r->resource, lasted, how);
        kb_fail(k, "watch:short", why);
        return;
    }
    /* The connection broke after a healthy stretch: resume from the last resourceVersion, still in sync. */
    kb_count(k->inf, &k->inf->stats.errors);
    double delay = kb_backoff_next(&k->backoff);
    k->due = now + delay;
    k->failures++;
    char cause[64];
    snprintf(cause, sizeof cause, "watch:broke:%d", (int)rc);
    if (strcmp(k->cause, cause) != 0) {
        snprintf(k->cause, sizeof k->cause, "%s", cause);
        kb_logf(k->inf, "info", "watch %s: the stream broke off (%s); resuming from resourceVersion %s in %.1fs",
                k->r->resource, how, k->rv, delay);
    }
}

void kb_finish_watch(kind_state *k, CURLcode rc)
{
    long status = kb_transfer_status(&k->t);
    if (k->relist_pending || status == 410) {
        kb_start_relist(k, "resourceVersion too old: 410 Gone", true);
        return;
    }
    if (status == 404 && k->r->optional) {
        /* Its CRD was deleted: the list will find nothing (and delete what it held). */
        kb_start_relist(k, "not served any more: 404 Not Found", false);
        return;
    }
    if (k->t.aborted && status == 200) {
        kb_fail(k, k->abort_cause, k->abort_why);
        return;
    }
    if (status == 200 && !k->t.too_large) {
        stream_ended(k, rc);
        return;
    }
    char what[128], err[SG_ERRMAX], cause[64];
    snprintf(what, sizeof what, "watch %s", k->r->resource);
    kb_transfer_error(&k->t, rc, what, err, sizeof err);
    snprintf(cause, sizeof cause, "watch:%d:%ld", (int)rc, status);
    kb_fail(k, cause, err);
}

void kb_check_watch(kind_state *k)
{
    if (!k->active || !k->is_watch || !k->t.established)
        return;
    double now = kb_now();
    if (!k->healthy && now - k->started >= HEALTHY_AFTER)
        healthy(k);
    double gap = k->bookmark_gap > 0 ? k->bookmark_gap : DEFAULT_BOOKMARK_GAP;
    double limit = HUNG_FACTOR * gap > HUNG_MIN ? HUNG_FACTOR * gap : HUNG_MIN;
    if (now - k->last_data <= limit)
        return;
    kb_stop_transfer(k);
    char why[SG_ERRMAX];
    snprintf(why, sizeof why,
             "watch %s: nothing arrived for %.0fs although the API server sends a bookmark about every %.0fs: the "
             "stream has hung; reconnecting from resourceVersion %s",
             k->r->resource, now - k->last_data, gap, k->rv ? k->rv : "");
    kb_fail(k, "watch:hung", why);
}
