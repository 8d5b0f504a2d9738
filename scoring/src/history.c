/*
 * history.c - the secure score over time (scoring.h): when a sample is
 * taken, how two histories merge, and the series read out for charts. The
 * rules, from the dashboard's needs: a change sample when the score changes,
 * at most one a minute, kept a day (minute resolution for 24 hours); an
 * hourly sample, kept 90 days. Everything that changes the content goes
 * through hs_normalize(), so a merge of histories written by two replicas
 * keeps the same bounds as one replica's own samples.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"

void hs_push(tier *t, const hsample *s)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->s = sg_reallocarray(t->s, t->cap, sizeof *t->s);
    }
    t->s[t->n++] = *s;
}

void hs_content_free(hcontent *c)
{
    for (size_t i = 0; i < c->ncontrols; i++)
        free(c->ids[i]);
    free(c->fine.s);
    free(c->coarse.s);
    memset(c, 0, sizeof *c);
}

sg_history *sg_history_new(void)
{
    sg_history *h = sg_calloc(1, sizeof *h);
    pthread_mutex_init(&h->lock, NULL);
    return h;
}

void sg_history_free(sg_history *h)
{
    if (!h)
        return;
    hs_content_free(&h->c);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

static int by_time(const void *a, const void *b)
{
    int64_t x = ((const hsample *)a)->time, y = ((const hsample *)b)->time;
    return x < y ? -1 : x > y;
}

static void sort_tier(tier *t)
{
    if (t->n > 1)
        qsort(t->s, t->n, sizeof *t->s, by_time);
}

/* Sort, keep samples at least `spacing` apart (the earlier wins), drop those
 * older than `oldest`, and keep at most `max` (the newest). */
static void normalize_tier(tier *t, int64_t spacing, int64_t oldest, size_t max)
{
    sort_tier(t);
    size_t kept = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->s[i].time < oldest || (kept && t->s[i].time - t->s[kept - 1].time < spacing))
            continue;
        t->s[kept++] = t->s[i];
    }
    if (kept > max) {
        memmove(t->s, t->s + (kept - max), max * sizeof *t->s);
        kept = max;
    }
    t->n = kept;
}

/* After an append in time order: drop from the front what left the span or the bound. */
static void trim_front(tier *t, int64_t oldest, size_t max)
{
    size_t n = 0;
    while (n < t->n && (t->s[n].time < oldest || t->n - n > max))
        n++;
    if (n) {
        memmove(t->s, t->s + n, (t->n - n) * sizeof *t->s);
        t->n -= n;
    }
}

static int64_t newest_time(const hcontent *c)
{
    int64_t t = INT64_MIN;
    if (c->fine.n)
        t = c->fine.s[c->fine.n - 1].time;
    if (c->coarse.n && c->coarse.s[c->coarse.n - 1].time > t)
        t = c->coarse.s[c->coarse.n - 1].time;
    return t;
}

void hs_normalize(hcontent *c)
{
    sort_tier(&c->fine);
    sort_tier(&c->coarse);
    int64_t newest = newest_time(c);
    if (newest == INT64_MIN)
        return;
    normalize_tier(&c->fine, HS_MINUTE, newest - HS_FINE_SPAN, HS_FINE_MAX);
    normalize_tier(&c->coarse, HS_HOUR, newest - HS_COARSE_SPAN, HS_COARSE_MAX);
}

/* Index of control `id`, added when new and there is room; -1 otherwise. */
static long control_index(hcontent *c, const char *id, bool add)
{
    for (size_t i = 0; i < c->ncontrols; i++)
        if (!strcmp(c->ids[i], id))
            return (long)i;
    if (!add || c->ncontrols == SG_SCORE_MAX_CONTROLS || strlen(id) > HS_ID_MAX)
        return -1;
    c->ids[c->ncontrols] = sg_strdup(id);
    return (long)c->ncontrols++;
}

static void sample_of(hcontent *c, const sg_score *s, time_t now, hsample *out)
{
    out->time = now;
    out->percent = s->has_percent ? (int32_t)llround(s->percent * 100) : HS_NONE;
    out->current = llround(s->current * 100);
    out->max = llround(s->max * 100);
    for (size_t i = 0; i < SG_SCORE_MAX_CONTROLS; i++)
        out->points[i] = HS_NONE;
    for (size_t i = 0; i < s->ncontrols; i++) {
        long k = control_index(c, s->controls[i].id, true);
        if (k >= 0)
            out->points[k] = (int32_t)llround(s->controls[i].current * 100);
    }
}

static bool same_values(const hsample *a, const hsample *b, size_t ncontrols)
{
    if (a->percent != b->percent || a->current != b->current || a->max != b->max)
        return false;
    for (size_t i = 0; i < ncontrols; i++)
        if (a->points[i] != b->points[i])
            return false;
    return true;
}

static const hsample *newest_sample(const hcontent *c)
{
    const hsample *f = c->fine.n ? &c->fine.s[c->fine.n - 1] : NULL;
    const hsample *k = c->coarse.n ? &c->coarse.s[c->coarse.n - 1] : NULL;
    return !f ? k : !k ? f : k->time > f->time ? k : f;
}

bool sg_history_observe(sg_history *h, const sg_score *s, time_t now)
{
    hsample cur;
    bool added = false;
    pthread_mutex_lock(&h->lock);
    hcontent *c = &h->c;
    sample_of(c, s, now, &cur);
    const hsample *last = newest_sample(c);
    /* A clock set back waits until it passes the newest sample again. */
    if (!last || now >= last->time) {
        const hsample *fine = c->fine.n ? &c->fine.s[c->fine.n - 1] : NULL;
        const hsample *coarse = c->coarse.n ? &c->coarse.s[c->coarse.n - 1] : NULL;
        if ((!last || !same_values(last, &cur, c->ncontrols)) && (!fine || now - fine->time >= HS_MINUTE)) {
            hs_push(&c->fine, &cur);
            added = true;
        }
        if (!coarse || now - coarse->time >= HS_HOUR) {
            hs_push(&c->coarse, &cur);
            added = true;
        }
    }
    if (added) {
        trim_front(&c->fine, (int64_t)now - HS_FINE_SPAN, HS_FINE_MAX);
        trim_front(&c->coarse, (int64_t)now - HS_COARSE_SPAN, HS_COARSE_MAX);
        h->generation++;
    }
    pthread_mutex_unlock(&h->lock);
    return added;
}

/* Samples of `from` in the control order of `into` (controls it lacks are added when there is room). */
static void remap_tier(hcontent *into, const hcontent *from, const tier *t, tier *out)
{
    long map[SG_SCORE_MAX_CONTROLS];
    for (size_t i = 0; i < from->ncontrols; i++)
        map[i] = control_index(into, from->ids[i], true);
    for (size_t k = 0; k < t->n; k++) {
        hsample s = t->s[k];
        for (size_t i = 0; i < SG_SCORE_MAX_CONTROLS; i++)
            s.points[i] = HS_NONE;
        for (size_t i = 0; i < from->ncontrols; i++)
            if (map[i] >= 0)
                s.points[map[i]] = t->s[k].points[i];
        hs_push(out, &s);
    }
}

/* Merge two tiers sorted by time into `out`; on equal times `a` wins. */
static void merge_sorted(const tier *a, const tier *b, tier *out)
{
    size_t i = 0, j = 0;
    while (i < a->n || j < b->n) {
        bool take_a = j >= b->n || (i < a->n && a->s[i].time <= b->s[j].time);
        if (take_a && j < b->n && b->s[j].time == a->s[i].time)
            j++;
        hs_push(out, take_a ? &a->s[i++] : &b->s[j++]);
    }
}

static bool same_times(const tier *a, const tier *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (a->s[i].time != b->s[i].time)
            return false;
    return true;
}

bool sg_history_merge(sg_history *into, sg_history *from)
{
    if (into == from)
        return false;
    /* Lock in address order: two merges the other way round cannot deadlock. */
    sg_history *first = into < from ? into : from, *second = into < from ? from : into;
    pthread_mutex_lock(&first->lock);
    pthread_mutex_lock(&second->lock);
    hcontent *c = &into->c;
    tier fine = {0}, coarse = {0};
    hcontent merged = {0};
    remap_tier(c, &from->c, &from->c.fine, &fine);
    remap_tier(c, &from->c, &from->c.coarse, &coarse);
    merge_sorted(&c->fine, &fine, &merged.fine);
    merge_sorted(&c->coarse, &coarse, &merged.coarse);
    hs_normalize(&merged);
    bool changed = !same_times(&merged.fine, &c->fine) || !same_times(&merged.coarse, &c->coarse);
    free(c->fine.s);
    free(c->coarse.s);
    c->fine = merged.fine;
    c->coarse = merged.coarse;
    into->generation += (unsigned long)changed;
    free(fine.s);
    free(coarse.s);
    pthread_mutex_unlock(&second->lock);
    pthread_mutex_unlock(&first->lock);
    return changed;
}

unsigned long sg_history_generation(sg_history *h)
{
    pthread_mutex_lock(&h->lock);
    unsigned long g = h->generation;
    pthread_mutex_unlock(&h->lock);
    return g;
}

size_t sg_history_count(sg_history *h)
{
    pthread_mutex_lock(&h->lock);
    size_t n = h->c.fine.n + h->c.coarse.n;
    pthread_mutex_unlock(&h->lock);
    return n;
}

static void sample_out(const hsample *s, size_t ncontrols, sg_history_sample *out)
{
    memset(out, 0, sizeof *out);
    out->time = (time_t)s->time;
    out->has_percent = s->percent != HS_NONE;
    out->percent = out->has_percent ? s->percent / 100.0 : 0;
    out->current = (double)s->current / 100.0;
    out->max = (double)s->max / 100.0;
    for (size_t i = 0; i < ncontrols; i++) {
        out->has_points[i] = s->points[i] != HS_NONE;
        out->points[i] = out->has_points[i] ? s->points[i] / 100.0 : 0;
    }
}

void sg_history_view_get(sg_history *h, time_t since, sg_history_view *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&h->lock);
    const hcontent *c = &h->c;
    int64_t first_fine = c->fine.n ? c->fine.s[0].time : INT64_MAX;
    out->samples = sg_calloc(c->fine.n + c->coarse.n + 1, sizeof *out->samples);
    for (size_t i = 0; i < c->ncontrols; i++)
        out->ids[i] = sg_strdup(c->ids[i]);
    out->ncontrols = c->ncontrols;
    for (size_t i = 0; i < c->coarse.n; i++)
        if (c->coarse.s[i].time < first_fine && c->coarse.s[i].time >= since)
            sample_out(&c->coarse.s[i], c->ncontrols, &out->samples[out->count++]);
    for (size_t i = 0; i < c->fine.n; i++)
        if (c->fine.s[i].time >= since)
            sample_out(&c->fine.s[i], c->ncontrols, &out->samples[out->count++]);
    pthread_mutex_unlock(&h->lock);
}

void sg_history_view_free(sg_history_view *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->ncontrols; i++)
        free(v->ids[i]);
    free(v->samples);
    memset(v, 0, sizeof *v);
}
