/*
 * stats.c - what to fix first. Per recommendation, its counts over the
 * inventory (or one namespace) and the exact gain of remediating it alone:
 * the resources on which it is the only unhealthy scored recommendation of
 * its control become healthy there. Per control, the gain of fixing all of
 * it. Per namespace, its own score and the recommendations to fix first.
 *
 * The resources' bit sets are copied under the read lock and tallied after
 * it (a snapshot): an admission's write then waits for a copy, a few
 * milliseconds with 100 000 resources, not for a whole pass. Gains are what-if
 * scores computed by sg_score_compute() on changed counters, so they round
 * exactly as the score does and add up to what the score will show.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The counters of one pass over some resources. */
typedef struct tally {
    size_t healthy[SG_SCORE_MAX_CONTROLS], unhealthy[SG_SCORE_MAX_CONTROLS];
    size_t count, stale;
    sg_rec_stats *recs;      /* nrecs entries, or NULL when only the score is wanted */
    size_t *known;           /* nrecs: resources on which each was evaluated */
} tally;

/* Namespace of a key: the third NUL-separated field. */
static const char *key_namespace(const char *key)
{
    key += strlen(key) + 1;
    return key + strlen(key) + 1;
}

#define EACH_BIT(word, i, base) for (uint64_t x_ = (word); x_ && ((i) = (base) + (size_t)__builtin_ctzll(x_), 1); \
                                     x_ &= x_ - 1)

/* The recommendations of one resource: counts, and which is the sole unhealthy one of a control. */
static void tally_recs(const sg_score_model *m, const uint64_t *bits, tally *t)
{
    size_t nw = m->nwords, i;
    for (size_t w = 0; w < nw; w++) {
        uint64_t applies = bits[SET_APPLIES * nw + w];
        uint64_t exempt = applies & (bits[SET_WAIVED * nw + w] | bits[SET_MITIGATED * nw + w]);
        uint64_t bad = applies & bits[SET_UNHEALTHY * nw + w] & ~exempt;
        EACH_BIT(bits[SET_KNOWN * nw + w], i, w * 64)
            t->known[i]++;
        EACH_BIT(applies & ~exempt & ~bad, i, w * 64)
            t->recs[i].healthy++;
        EACH_BIT(bad, i, w * 64)
            t->recs[i].unhealthy++;
        EACH_BIT(exempt, i, w * 64)
            t->recs[i].exempt++;
    }
    for (size_t c = 0; c < m->ncontrols; c++) {
        const uint64_t *mask = m->masks + c * nw;
        size_t sole = SIZE_MAX;
        int n = 0;
        for (size_t w = 0; w < nw && n < 2; w++) {
            uint64_t bad = bits[SET_APPLIES * nw + w] & ~bits[SET_WAIVED * nw + w] & bits[SET_UNHEALTHY * nw + w] &
                           ~bits[SET_MITIGATED * nw + w] & mask[w];
            n += __builtin_popcountll(bad);
            if (bad)
                sole = w * 64 + (size_t)__builtin_ctzll(bad);
        }
        if (n == 1)
            t->recs[sole].sole++;
    }
}

static void tally_add(const sg_score_model *m, const uint64_t *bits, tally *t)
{
    sg__count(m, bits, +1, t->healthy, t->unhealthy, &t->stale);
    t->count++;
    if (t->recs)
        tally_recs(m, bits, t);
}

static double cents_diff(double after, double before)
{
    return (double)(llround(after * 100) - llround(before * 100)) / 100.0;
}

/* What `k` unhealthy resources of control `c` turned healthy would gain. */
static void gain_of(const sg_score_model *m, const tally *t, const sg_score *base, size_t c, size_t k,
                    sg_score_gain *g)
{
    memset(g, 0, sizeof *g);
    if (!k)
        return;
    size_t healthy[SG_SCORE_MAX_CONTROLS], unhealthy[SG_SCORE_MAX_CONTROLS];
    memcpy(healthy, t->healthy, sizeof healthy);
    memcpy(unhealthy, t->unhealthy, sizeof unhealthy);
    assert(unhealthy[c] >= k);
    healthy[c] += k;
    unhealthy[c] -= k;
    sg_score after;
    sg_score_compute(m, healthy, unhealthy, NULL, &after);
    g->points = cents_diff(after.controls[c].current, base->controls[c].current);
    if (after.has_percent && base->has_percent) {
        g->percent = cents_diff(after.percent, base->percent);
        g->exact_percent = after.exact_percent - base->exact_percent;
    }
}

/* The score of a tally and, when it has them, the per-recommendation figures and gains. */
static void tally_finish(const sg_score_model *m, tally *t, sg_score *score, sg_score_gain *control_gain)
{
    sg__score_counts(m, t->healthy, t->unhealthy, t->count, t->stale, score);
    for (size_t c = 0; control_gain && c < m->ncontrols; c++)
        gain_of(m, t, score, c, t->unhealthy[c], &control_gain[c]);
    for (size_t i = 0; t->recs && i < m->nrecs; i++) {
        sg_rec_stats *r = &t->recs[i];
        assert(t->known[i] >= r->healthy + r->unhealthy + r->exempt && t->count >= t->known[i]);
        r->not_applicable = t->known[i] - r->healthy - r->unhealthy - r->exempt;
        r->unknown = t->count - t->known[i];
        if (m->recs[i].control >= 0)
            gain_of(m, t, score, (size_t)m->recs[i].control, r->sole, &r->gain);
    }
}

/* A tally with room for every recommendation of `m`. */
static void tally_init(const sg_score_model *m, tally *t)
{
    memset(t, 0, sizeof *t);
    t->recs = sg_calloc(m->nrecs + 1, sizeof *t->recs);
    t->known = sg_calloc(m->nrecs + 1, sizeof *t->known);
}

static void tally_free(tally *t)
{
    free(t->recs);
    free(t->known);
}

/* Namespaces met while copying, each with its tally (sg_inventory_namespace_scores). */
typedef struct grouping grouping;
static uint32_t group_of(grouping *g, const char *ns);

/* The bit sets of some resources, copied under the read lock. */
typedef struct snapshot {
    sg_score_model *model;   /* a reference: the model the bits are of */
    size_t count, stride;    /* resources; words per resource (SG_SETS x nwords) */
    uint64_t *bits;
    uint32_t *group;         /* with a grouping: each resource's namespace group */
} snapshot;

/* Copy the resources of namespace `ns` (NULL: all; "": cluster-scoped), noting each one's group in `g`. */
static void snapshot_take(sg_inventory *inv, const char *ns, grouping *g, snapshot *s)
{
    pthread_rwlock_rdlock(&inv->lock);
    s->model = sg_score_model_ref(inv->model);
    size_t nw = s->model->nwords;
    s->stride = SG_SETS * nw;
    s->count = 0;
    s->bits = sg_reallocarray(NULL, (inv->count + 1) * s->stride, sizeof *s->bits);
    s->group = g ? sg_reallocarray(NULL, inv->count + 1, sizeof *s->group) : NULL;
    for (size_t i = 0; i < inv->nbuckets; i++)
        for (const resource *r = inv->buckets[i]; r; r = r->next) {
            const char *rns = key_namespace(resource_key(r, nw));
            if (ns && strcmp(rns, ns))
                continue;
            memcpy(s->bits + s->count * s->stride, r->bits, s->stride * sizeof *s->bits);
            if (g)
                s->group[s->count] = group_of(g, rns);
            s->count++;
        }
    pthread_rwlock_unlock(&inv->lock);
}

static void snapshot_free(snapshot *s)
{
    sg_score_model_free(s->model);
    free(s->bits);
    free(s->group);
}

void sg_inventory_stats(sg_inventory *inv, const char *ns, sg_stats *out)
{
    memset(out, 0, sizeof *out);
    snapshot snap;
    snapshot_take(inv, ns, NULL, &snap);
    const sg_score_model *m = snap.model;
    tally t;
    tally_init(m, &t);
    for (size_t i = 0; i < snap.count; i++)
        tally_add(m, snap.bits + i * snap.stride, &t);
    tally_finish(m, &t, &out->score, out->control_gain);
    out->model = sg_score_model_ref(snap.model);
    out->recs = t.recs;
    out->nrecs = m->nrecs;
    free(t.known);
    snapshot_free(&snap);
}

void sg_stats_free(sg_stats *s)
{
    if (!s)
        return;
    sg_score_model_free(s->model);
    free(s->recs);
    memset(s, 0, sizeof *s);
}

void sg_inventory_score_namespace(sg_inventory *inv, const char *ns, sg_score *out)
{
    tally t = {0};
    pthread_rwlock_rdlock(&inv->lock);
    size_t nw = inv->model->nwords;
    for (size_t i = 0; i < inv->nbuckets; i++)
        for (const resource *r = inv->buckets[i]; r; r = r->next)
            if (!strcmp(key_namespace(resource_key(r, nw)), ns ? ns : ""))
                tally_add(inv->model, r->bits, &t);
    tally_finish(inv->model, &t, out, NULL);
    pthread_rwlock_unlock(&inv->lock);
}

/* Whether recommendation a goes before b in what to fix first. */
static bool fix_first(const sg_rec_stats *a, size_t ia, const sg_rec_stats *b, size_t ib)
{
    if (a->gain.exact_percent != b->gain.exact_percent)
        return a->gain.exact_percent > b->gain.exact_percent;
    if (a->unhealthy != b->unhealthy)
        return a->unhealthy > b->unhealthy;
    return ia < ib;
}

/* The recommendations to fix first in a namespace's tally. */
static void pick_top(const sg_score_model *m, const tally *t, sg_score_namespace *ns)
{
    size_t top[SG_NAMESPACE_TOP], n = 0;
    for (size_t i = 0; i < m->nrecs; i++) {
        if (!t->recs[i].unhealthy)
            continue;
        size_t at = n;
        while (at > 0 && fix_first(&t->recs[i], i, &t->recs[top[at - 1]], top[at - 1]))
            at--;
        if (at >= SG_NAMESPACE_TOP)
            continue;
        if (n < SG_NAMESPACE_TOP)
            n++;
        memmove(top + at + 1, top + at, (n - 1 - at) * sizeof *top);
        top[at] = i;
    }
    for (size_t k = 0; k < n; k++) {
        ns->top[k] = t->recs[top[k]];
        ns->top_ids[k] = sg_strdup(m->recs[top[k]].id);
    }
    ns->ntop = n;
}

/*
 * The breakdown is one pass: while copying, each resource's namespace is
 * found by hashing; then each resource is tallied into its namespace's tally
 * (some 2 KB with the built-in recommendations), and the namespaces are
 * sorted by name.
 */
typedef struct ns_group {
    char *ns;
    uint64_t hash;
    tally t;
} ns_group;

struct grouping {
    ns_group *groups;
    size_t n, cap;
    uint32_t *slots;         /* open addressing: group index + 1, 0 empty; a power of two in size */
    size_t nslots;
};

/* Index the groups afresh in a table of `nslots` (a power of two, more than the groups). */
static void rehash(grouping *g, size_t nslots)
{
    free(g->slots);
    g->nslots = nslots;
    g->slots = sg_calloc(nslots, sizeof *g->slots);
    for (size_t i = 0; i < g->n; i++) {
        size_t at = (size_t)g->groups[i].hash & (g->nslots - 1);
        while (g->slots[at])
            at = (at + 1) & (g->nslots - 1);
        g->slots[at] = (uint32_t)(i + 1);
    }
}

/* The group of namespace `ns`, made (with a copy of the name) when new. */
static uint32_t group_of(grouping *g, const char *ns)
{
    uint64_t h = sg_fnv1a(SG_FNV1A_INIT, ns, strlen(ns));
    size_t at = (size_t)h & (g->nslots - 1);
    for (; g->slots[at]; at = (at + 1) & (g->nslots - 1)) {
        const ns_group *x = &g->groups[g->slots[at] - 1];
        if (x->hash == h && !strcmp(x->ns, ns))
            return g->slots[at] - 1;
    }
    if (g->n == g->cap)
        g->groups = sg_reallocarray(g->groups, g->cap = g->cap ? g->cap * 2 : 16, sizeof *g->groups);
    memset(&g->groups[g->n], 0, sizeof g->groups[g->n]);
    g->groups[g->n].ns = sg_strdup(ns);
    g->groups[g->n].hash = h;
    g->slots[at] = (uint32_t)++g->n;
    if (g->n * 2 > g->nslots)
        rehash(g, g->nslots * 2);
    return (uint32_t)(g->n - 1);
}

static int group_cmp(const void *a, const void *b)
{
    return strcmp(((const ns_group *)a)->ns, ((const ns_group *)b)->ns);
}

void sg_inventory_namespace_scores(sg_inventory *inv, sg_score_namespace **out, size_t *n)
{
    grouping g = {0};
    rehash(&g, 64);
    snapshot snap;
    snapshot_take(inv, NULL, &g, &snap);
    const sg_score_model *m = snap.model;
    for (size_t k = 0; k < g.n; k++)
        tally_init(m, &g.groups[k].t);
    for (size_t i = 0; i < snap.count; i++)
        tally_add(m, snap.bits + i * snap.stride, &g.groups[snap.group[i]].t);
    if (g.n > 1)
        qsort(g.groups, g.n, sizeof *g.groups, group_cmp);
    sg_score_namespace *list = sg_calloc(g.n + 1, sizeof *list);
    for (size_t k = 0; k < g.n; k++) {
        tally_finish(m, &g.groups[k].t, &list[k].score, NULL);
        list[k].namespace_ = g.groups[k].ns;   /* handed over */
        pick_top(m, &g.groups[k].t, &list[k]);
        tally_free(&g.groups[k].t);
    }
    snapshot_free(&snap);
    free(g.slots);
    free(g.groups);
    *out = list;
    *n = g.n;
}

void sg_score_namespaces_free(sg_score_namespace *list, size_t n)
{
    for (size_t i = 0; list && i < n; i++) {
        free(list[i].namespace_);
        for (size_t k = 0; k < list[i].ntop; k++)
            free(list[i].top_ids[k]);
    }
    free(list);
}
