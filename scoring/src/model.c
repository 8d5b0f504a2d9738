/*
 * model.c - the score model: the control table and, per recommendation of the
 * policy catalog, its control and whether it is scored, as bit masks so that
 * the healthy-in-a-control rule is a few word operations per control.
 * Immutable after construction and reference-counted, so the inventory, the
 * outcomes of requests in flight and a reload can share it across threads.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int by_id_cmp(const void *a, const void *b)
{
    const model_rec *const *x = a, *const *y = b;
    return strcmp((*x)->id, (*y)->id);
}

/*
 * Control ids and names, interned for the life of the process: scores and
 * predictions borrow them, so they must outlive any model (a reload replaces
 * the model while scores taken before may still be read). Bounded by the
 * distinct control names ever configured.
 */
static const char *intern(const char *s)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static char **names;
    static size_t n, cap;
    const char *found = NULL;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < n && !found; i++)
        if (!strcmp(names[i], s))
            found = names[i];
    if (!found && n == cap) {
        cap = cap ? cap * 2 : 16;
        names = sg_reallocarray(names, cap, sizeof *names);
    }
    if (!found)
        found = names[n++] = sg_strdup(s);
    pthread_mutex_unlock(&lock);
    return found;
}

static void model_destroy(sg_score_model *m)
{
    for (size_t i = 0; m->recs && i < m->nrecs; i++)
        free(m->recs[i].id);
    free(m->recs);
    free(m->by_id);
    free(m->masks);
    free(m->scored);
    free(m->evaluated);
    free(m);
}

static int check_controls(const sg_score_control_def *controls, size_t n, long long *cents,
                          char *err, size_t errlen)
{
    if (n == 0 || n > SG_SCORE_MAX_CONTROLS)
        return sg_err(err, errlen, "score model: %zu controls (need 1 to %d)", n,
                      SG_SCORE_MAX_CONTROLS);
    for (size_t i = 0; i < n; i++) {
        const sg_score_control_def *c = &controls[i];
        if (!c->id || !*c->id)
            return sg_err(err, errlen, "score model: control %zu has no id", i);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(controls[j].id, c->id))
                return sg_err(err, errlen, "score model: control '%s' is listed twice", c->id);
        double scaled = c->max * 100.0;
        if (!(c->max >= 0) || scaled > (double)SG_SCORE_MAX_CENTS ||
            fabs(scaled - nearbyint(scaled)) > 1e-6)
            return sg_err(err, errlen,
                          "score model: control '%s' has max %g (need 0 to 1000000, "
                          "a multiple of 0.01)", c->id, c->max);
        cents[i] = llround(scaled);
    }
    return 0;
}

static long control_index(const sg_score_model *m, const char *id)
{
    for (size_t i = 0; id && i < m->ncontrols; i++)
        if (!strcmp(m->controls[i].id, id))
            return (long)i;
    return -1;
}

int sg_score_model_new(const sg_score_control_def *controls, size_t ncontrols,
                       const sg_score_rec_def *recs, size_t nrecs, sg_score_model **out,
                       char *err, size_t errlen)
{
    long long cents[SG_SCORE_MAX_CONTROLS];
    *out = NULL;
    if (check_controls(controls, ncontrols, cents, err, errlen))
        return -1;
    if (nrecs > SG_SCORE_MAX_RECS)
        return sg_err(err, errlen, "score model: %zu recommendations (at most %d)", nrecs,
                      SG_SCORE_MAX_RECS);
    sg_score_model *m = sg_calloc(1, sizeof *m);
    atomic_init(&m->refs, 1);
    m->nrecs = nrecs;
    m->nwords = nrecs / 64 + 1;
    for (size_t i = 0; i < ncontrols; i++) {
        m->controls[i].id = intern(controls[i].id);
        m->controls[i].name = intern(controls[i].name ? controls[i].name : controls[i].id);
        m->controls[i].max = (double)cents[i] / 100.0;
        m->max_cents[i] = cents[i];
        m->ncontrols = i + 1;
    }
    m->recs = sg_calloc(nrecs, sizeof *m->recs);
    m->by_id = sg_calloc(nrecs, sizeof *m->by_id);
    m->masks = sg_calloc(ncontrols * m->nwords, sizeof *m->masks);
    m->scored = sg_calloc(m->nwords, sizeof *m->scored);
    m->evaluated = sg_calloc(m->nwords, sizeof *m->evaluated);
    for (size_t i = 0; i < nrecs; i++) {
        const sg_score_rec_def *d = &recs[i];
        model_rec *r = &m->recs[i];
        if (!d->id || !*d->id || strlen(d->id) > SG_SCORE_MAX_STRING) {
            model_destroy(m);
            return sg_err(err, errlen, "score model: recommendation %zu has no valid id", i);
        }
        r->id = sg_strdup(d->id);
        r->scored = d->scored;
        r->evaluated = d->evaluated;
        r->params_hash = d->params_hash;
        r->control = -1;
        m->by_id[i] = r;
        if (d->evaluated)
            bit_set(m->evaluated, i);
        if (!d->scored)
            continue;
        r->control = control_index(m, d->control);
        if (r->control < 0) {
            sg_err(err, errlen, "score model: scored recommendation '%s' names unknown control '%s'",
                   d->id, d->control ? d->control : "");
            model_destroy(m);
            return -1;
        }
        if (!d->evaluated) {
            sg_err(err, errlen, "score model: recommendation '%s' is scored but not evaluated",
                   d->id);
            model_destroy(m);
            return -1;
        }
        bit_set(m->masks + (size_t)r->control * m->nwords, i);
        bit_set(m->scored, i);
    }
    qsort(m->by_id, nrecs, sizeof *m->by_id, by_id_cmp);
    for (size_t i = 1; i < nrecs; i++)
        if (!strcmp(m->by_id[i - 1]->id, m->by_id[i]->id)) {
            sg_err(err, errlen, "score model: recommendation '%s' is listed twice",
                   m->by_id[i]->id);
            model_destroy(m);
            return -1;
        }
    *out = m;
    return 0;
}

sg_score_model *sg_score_model_ref(sg_score_model *m)
{
    long before = atomic_fetch_add(&m->refs, 1);
    assert(before > 0);
    (void)before;
    return m;
}

void sg_score_model_free(sg_score_model *m)
{
    if (!m)
        return;
    long before = atomic_fetch_sub(&m->refs, 1);
    assert(before > 0);
    if (before == 1)
        model_destroy(m);
}


const sg_score_control_def *sg_score_model_control(const sg_score_model *m, size_t index)
{
    return index < m->ncontrols ? &m->controls[index] : NULL;
}

size_t sg_score_model_rec_count(const sg_score_model *m) { return m->nrecs; }

long sg_score_model_rec_index(const sg_score_model *m, const char *id)
{
    size_t lo = 0, hi = m->nrecs;
    while (id && lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(m->by_id[mid]->id, id);
        if (c == 0)
            return (long)(m->by_id[mid] - m->recs);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

const char *sg_score_model_rec_id(const sg_score_model *m, size_t rec)
{
    return rec < m->nrecs ? m->recs[rec].id : NULL;
}

long sg_score_model_rec_control(const sg_score_model *m, size_t rec)
{
    return rec < m->nrecs ? m->recs[rec].control : -1;
}

sg_score_rec_def sg_score_rec_def_from_info(const sg_rec_info *info)
{
    sg_score_rec_def d = {0};
    d.id = info->id;
    d.control = info->control;
    d.evaluated = info->enabled && info->configured;
    d.scored = info->scored && info->builtin && !info->preview && d.evaluated;
    if (info->parameters) {
        char *text = sg_json_dumps(info->parameters, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY, NULL);
        if (text) {
            d.params_hash = sg_fnv1a(SG_FNV1A_INIT, text, strlen(text));
            free(text);
        }
    }
    return d;
}
