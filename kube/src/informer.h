/*
 * informer.h - what the two halves of the informer share (informer.c: the
 * thread, lists and the life of a kind; informer_watch.c: watch streams and
 * their health), and nothing else in the module sees.
 */
#ifndef SCOREGATE_KUBE_INFORMER_H
#define SCOREGATE_KUBE_INFORMER_H

#include <stdatomic.h>

#include "internal.h"

#define WATCH_GRACE 30            /* seconds a watch may outlive its timeoutSeconds */
#define HEALTHY_AFTER 5.0         /* seconds open without an error that make a watch healthy */
#define KB_NOT_SERVED_RECHECK 60.0 /* seconds between lists of an optional kind the API server does not serve */

typedef struct kind_state {
    sg_kube_informer *inf;
    const sg_kube_resource *r;
    kb_keyset *keys;
    unsigned gen;                /* generation of the current or last list */
    bool listed;                 /* a list has completed at least once */
    bool synced;                 /* listed, and its watch healthy since, with no failure */
    bool need_list;              /* the next request starts a list */
    bool relist_pending;         /* a watch reported 410 Gone */
    bool is_watch;               /* the running transfer is a watch */
    bool active;
    bool healthy;                /* the running watch delivered an event or bookmark, or stayed open HEALTHY_AFTER */
    bool metadata_only;          /* the list in progress (and its watches) ask for PartialObjectMetadata */
    atomic_bool want_metadata_only; /* what the next list asks for (sg_kube_informer_metadata_only) */
    char *cont;                  /* continue token of a list in progress */
    char *rv;                    /* resourceVersion to watch from */
    unsigned list_restarts;
    unsigned watch_timeout;      /* timeoutSeconds of the running watch */
    kb_transfer t;
    double due;                  /* monotonic time of the next request */
    double started;
    double last_data;            /* when the running watch last delivered a line */
    double last_bookmark;        /* when the running watch last delivered a bookmark; 0: none yet */
    double bookmark_gap;         /* longest time seen between two bookmarks of this kind; 0: unknown */
    kb_backoff backoff;
    char cause[64];              /* the failure logged last; each is logged once until the kind is healthy */
    char abort_cause[64];        /* why the watch line handler stopped the running watch, for its finish */
    char abort_why[SG_ERRMAX + 64];
    unsigned failures;           /* failed attempts since the last healthy watch */
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

void kb_logf(sg_kube_informer *inf, const char *level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Increment one of inf->stats' counters. */
void kb_count(sg_kube_informer *inf, unsigned long *counter);
/* Recompute the informer-wide synced state; tell the handler when it changes. */
void kb_update_synced(sg_kube_informer *inf);
void kb_deliver(kind_state *k, sg_kube_event type, const json_t *object);
void kb_set_str(char **slot, const char *v);
/* metadata.namespace ("" when none) and metadata.name (NULL when none) of an object. */
void kb_key_of(const json_t *object, const char **ns, const char **name);

/* A request failed: not synced, retry after the backoff; `why` is logged when `cause` differs from the last. */
void kb_fail(kind_state *k, const char *cause, const char *why);
/* The kind's watch is healthy: reset the backoff, log the recovery after failures. */
void kb_recovered(kind_state *k);
/* List the kind again: at once when requested, after the backoff and out of sync after 410 Gone (`gone`). */
void kb_start_relist(kind_state *k, const char *why, bool gone);
/* Remove the running transfer from the multi handle and free it. */
void kb_stop_transfer(kind_state *k);

/* informer_watch.c: one line of a watch stream (a kb_line_fn). */
int kb_watch_line(void *ctx, char *line, size_t len);
/* A watch ended (curl result `rc`): resume, relist or retry. */
void kb_finish_watch(kind_state *k, CURLcode rc);
/* Called each round of the loop: a watch open long enough becomes healthy; a silent one has hung. */
void kb_check_watch(kind_state *k);

#endif
