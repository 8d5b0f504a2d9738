/*
 * decisions.c - the last denials and warnings this replica answered, for the
 * dashboard's "Recent decisions": a ring of WH_DECISIONS entries in memory
 * (never saved: a restart starts it empty, and each replica shows its own).
 * Fed by decision.c as it maps a result onto the AdmissionReview.
 *
 * Secrets: their findings' messages and warnings are not kept (a custom
 * recommendation could quote a value); the recommendation ids are.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct entry {
    time_t time;
    json_t *doc;                 /* the entry as /api/v1/decisions shows it */
} entry;

struct wh_decisions {
    pthread_mutex_t lock;
    entry ring[WH_DECISIONS];
    size_t next, count;
    unsigned long total;
};

wh_decisions *wh_decisions_new(void)
{
    wh_decisions *d = sg_calloc(1, sizeof *d);
    pthread_mutex_init(&d->lock, NULL);
    return d;
}

void wh_decisions_free(wh_decisions *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < WH_DECISIONS; i++)
        json_decref(d->ring[i].doc);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

static json_t *id_list(const char *failed)
{
    json_t *list = json_array();
    for (const char *p = failed ? failed : ""; list && *p;) {
        size_t n = strcspn(p, ",");
        json_array_append_new(list, json_stringn(p, n));
        p += n + (p[n] == ',');
    }
    return list;
}

static void add(wh_decisions *d, time_t now, const wh_request *r, const char *name, const wh_result *res);

void wh_decisions_add(wh_decisions *d, time_t now, const wh_request *r, const char *name, const wh_result *res)
{
    if (!d || (res->allowed && !json_array_size(res->warnings)))
        return;
    /* The entry outlives the request: built with malloc, not in its arena. */
    unsigned paused = sg_arena_pause();
    add(d, now, r, name, res);
    sg_arena_resume(paused);
}

static void add(wh_decisions *d, time_t now, const wh_request *r, const char *name, const wh_result *res)
{
    bool secret = !strcmp(r->kind, "Secret");
    char when[32];
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    json_t *warnings = secret ? json_array() : json_deep_copy(res->warnings);
    const char *message = secret ? (res->message ? "(withheld: the object is a Secret)" : NULL) : res->message;
    json_t *doc = json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:s,s:b,s:b,s:s,s:s,s:s,s:o,s:o*,s:o}", "time", when, "uid",
                            wh_text(r->uid), "operation", wh_text(r->operation_name), "kind", wh_text(r->kind),
                            "namespace", wh_text(r->namespace_), "name", wh_text(name), "decision",
                            !res->allowed ? "denied" : res->patch ? "patched" : "warned",
                            "allowed", res->allowed, "dryRun", r->dry_run, "scoreBefore", res->score_before,
                            "scoreAfter", res->score_after, "scoreDelta", res->score_delta, "recommendations",
                            id_list(res->failed), "message", message ? wh_text(message) : NULL, "warnings", warnings);
    if (!doc)
        return;
    pthread_mutex_lock(&d->lock);
    entry *e = &d->ring[d->next];
    json_decref(e->doc);
    e->doc = doc;
    e->time = now;
    d->next = (d->next + 1) % WH_DECISIONS;
    d->count += d->count < WH_DECISIONS;
    d->total++;
    pthread_mutex_unlock(&d->lock);
}

json_t *wh_decisions_json(wh_decisions *d, const char *ns)
{
    json_t *list = json_array();
    unsigned long total = 0;
    if (d) {
        pthread_mutex_lock(&d->lock);
        for (size_t k = 0; list && k < d->count; k++) {
            const entry *e = &d->ring[(d->next + WH_DECISIONS - 1 - k) % WH_DECISIONS];
            const char *ens = json_string_value(json_object_get(e->doc, "namespace"));
            if (!ns || !strcmp(ns, ens ? ens : ""))
                json_array_append(list, e->doc);
        }
        total = d->total;
        pthread_mutex_unlock(&d->lock);
    }
    return json_pack("{s:i,s:I,s:o}", "capacity", WH_DECISIONS, "recordedSinceStart", (json_int_t)total,
                     "decisions", list);
}
