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

/* An entry is kept as its JSON text: built in the request's arena and
 * written once (sg_json_dumps), it costs the review a fraction of a tree
 * copied out of the arena; the dashboard reads it back when it asks. */
typedef struct entry {
    time_t time;
    char *text;                  /* the entry as /api/v1/decisions shows it */
    char *namespace_;            /* for the filter */
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
    for (size_t i = 0; i < WH_DECISIONS; i++) {
        free(d->ring[i].text);
        free(d->ring[i].namespace_);
    }
    pthread_mutex_destroy(&d->lock);
    free(d);
}

/* ,"key":"value" (value cleaned as wh_text cleans it; none when NULL). */
static void put_str(wh_jbuf *b, const char *key, const char *value)
{
    if (!value)
        return;
    char *owned;
    const char *clean = sg_utf8_clean(value, &owned);
    wh_jbuf_put(b, ",\"", 2);
    wh_jbuf_put(b, key, strlen(key));
    wh_jbuf_put(b, "\":", 2);
    wh_jbuf_string(b, clean, strlen(clean), 0);
    free(owned);
}

/* The failed ids, comma-separated, as a JSON list. */
static void put_ids(wh_jbuf *b, const char *failed)
{
    wh_jbuf_put(b, ",\"recommendations\":[", 20);
    for (const char *p = failed ? failed : ""; *p;) {
        size_t n = strcspn(p, ",");
        if (p != failed)
            wh_jbuf_char(b, ',');
        wh_jbuf_string(b, p, n, 0);
        p += n + (p[n] == ',');
    }
    wh_jbuf_char(b, ']');
}

void wh_decisions_add(wh_decisions *d, time_t now, const wh_request *r, const char *name, const wh_result *res)
{
    if (!d || (res->allowed && !json_array_size(res->warnings)))
        return;
    bool secret = !strcmp(r->kind, "Secret");
    char when[32];
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    const char *message = secret ? (res->message ? "(withheld: the object is a Secret)" : NULL) : res->message;
    wh_jbuf b;
    wh_jbuf_init(&b);
    wh_jbuf_put(&b, "{\"time\":", 8);
    wh_jbuf_string(&b, when, strlen(when), 0);
    put_str(&b, "uid", r->uid);
    put_str(&b, "operation", r->operation_name);
    put_str(&b, "kind", r->kind);
    put_str(&b, "namespace", r->namespace_);
    put_str(&b, "name", name);
    put_str(&b, "decision", !res->allowed ? "denied" : res->patch ? "patched" : "warned");
    wh_jbuf_put(&b, res->allowed ? ",\"allowed\":true" : ",\"allowed\":false", res->allowed ? 15 : 16);
    wh_jbuf_put(&b, r->dry_run ? ",\"dryRun\":true" : ",\"dryRun\":false", r->dry_run ? 14 : 15);
    put_str(&b, "scoreBefore", res->score_before);
    put_str(&b, "scoreAfter", res->score_after);
    put_str(&b, "scoreDelta", res->score_delta);
    put_ids(&b, res->failed);
    put_str(&b, "message", message);
    wh_jbuf_put(&b, ",\"warnings\":", 12);
    if (secret || !json_is_array(res->warnings))
        wh_jbuf_put(&b, "[]", 2);
    else
        wh_jbuf_value(&b, res->warnings, 0);
    wh_jbuf_char(&b, '}');
    char *text = wh_jbuf_take(&b);
    char *owned;
    const char *ns = sg_utf8_clean(r->namespace_, &owned);
    ns = owned ? owned : sg_strdup(ns);
    pthread_mutex_lock(&d->lock);
    entry *e = &d->ring[d->next];
    char *old_text = e->text, *old_ns = e->namespace_;
    e->text = text;
    e->namespace_ = (char *)ns;
    e->time = now;
    d->next = (d->next + 1) % WH_DECISIONS;
    d->count += d->count < WH_DECISIONS;
    d->total++;
    pthread_mutex_unlock(&d->lock);
    free(old_text);
    free(old_ns);
}

json_t *wh_decisions_json(wh_decisions *d, const char *ns)
{
    json_t *list = json_array();
    unsigned long total = 0;
    if (d) {
        pthread_mutex_lock(&d->lock);
        for (size_t k = 0; list && k < d->count; k++) {
            const entry *e = &d->ring[(d->next + WH_DECISIONS - 1 - k) % WH_DECISIONS];
            if (!ns || !strcmp(ns, e->namespace_))
                json_array_append_new(list, json_loads(e->text, 0, NULL));
        }
        total = d->total;
        pthread_mutex_unlock(&d->lock);
    }
    return json_pack("{s:i,s:I,s:o}", "capacity", WH_DECISIONS, "recordedSinceStart", (json_int_t)total,
                     "decisions", list);
}
