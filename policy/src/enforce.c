/*
 * enforce.c - the enforce step of one evaluated object: build the fixes of
 * its enforced findings as one JSON Patch, evaluate the fixed object once
 * (only the recommendations the patch reaches run again), and say which
 * enforced findings the fix heals. The caller (the admission decision in
 * scoring/) keeps all three, so nothing is built or evaluated twice.
 */
#include <stdlib.h>
#include <string.h>

#include "internal_policy.h"

/* A finding's identity across two evaluations of the same object: the
 * recommendation and, for container checks, the container's list and index. */
typedef struct finding_key {
    size_t rec;
    int list;              /* 0 for pod/object checks, 1.. for the container lists */
    long index;
} finding_key;

static finding_key key_of(const sg_finding *f)
{
    int list = 0;
    if (f->container_type)
        list = !strcmp(f->container_type, "containers") ? 1 : !strcmp(f->container_type, "initContainers") ? 2 : 3;
    return (finding_key){f->rec, list, f->container_index};
}

static int compare_keys(const void *a, const void *b)
{
    const finding_key *x = a, *y = b;
    if (x->rec != y->rec)
        return x->rec < y->rec ? -1 : 1;
    if (x->list != y->list)
        return x->list < y->list ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* The unhealthy findings of an evaluation, sorted for lookup: deciding
 * stays O(n log n) for a pod with thousands of containers. */
static finding_key *unhealthy_keys(const sg_eval *after, size_t *n)
{
    finding_key *keys = sg_calloc(after->count, sizeof *keys);
    *n = 0;
    for (size_t i = 0; i < after->count; i++)
        if (after->findings[i].status == SG_STATUS_UNHEALTHY)
            keys[(*n)++] = key_of(&after->findings[i]);
    qsort(keys, *n, sizeof *keys, compare_keys);
    return keys;
}

static bool enforced(const sg_finding *f)
{
    return f->status == SG_STATUS_UNHEALTHY && f->action == SG_ACTION_ENFORCE;
}

/* Whether admission would refuse the finding if it were left as it is. */
static bool blocking(const sg_finding *f)
{
    return f->status == SG_STATUS_UNHEALTHY && (f->action == SG_ACTION_DENY || f->action == SG_ACTION_ENFORCE);
}

/* The first finding that the fix made blocking (unhealthy, with action deny
 * or enforce, where the object as given was not), or NULL. */
static const sg_finding *first_broken(const sg_eval *ev, const sg_eval *after)
{
    size_t nkeys = 0;
    finding_key *before = unhealthy_keys(ev, &nkeys);
    const sg_finding *broken = NULL;
    for (size_t i = 0; i < after->count && !broken; i++) {
        finding_key k = key_of(&after->findings[i]);
        if (blocking(&after->findings[i]) && !bsearch(&k, before, nkeys, sizeof k, compare_keys))
            broken = &after->findings[i];
    }
    free(before);
    return broken;
}

/* Mark the enforced findings of `ev` that the fixed object no longer has. */
static void mark_healed(const sg_eval *ev, const sg_eval *after, bool *healed)
{
    size_t nkeys = 0;
    finding_key *keys = unhealthy_keys(after, &nkeys);
    for (size_t i = 0; i < ev->count; i++) {
        finding_key k = key_of(&ev->findings[i]);
        healed[i] = enforced(&ev->findings[i]) && !bsearch(&k, keys, nkeys, sizeof k, compare_keys);
    }
    free(keys);
}

void sg_policy_enforce(const sg_policy *p, const json_t *object, sg_eval *ev, const char *default_namespace,
                       time_t now, sg_enforcement *out)
{
    memset(out, 0, sizeof *out);
    out->healed = sg_calloc(ev->count, sizeof *out->healed);
    bool any = false;
    for (size_t i = 0; i < ev->count && !any; i++)
        any = enforced(&ev->findings[i]);
    if (!any) {
        out->patch = sg_check_alloc(json_array());
        return;
    }
    sg_policy_fix(p, object, ev, &out->patch, &out->fixed);
    if (!json_array_size(out->patch))
        return;   /* nothing fixable: nothing healed */
    /* A fixed object that cannot be evaluated heals nothing: it stays denied. */
    char why[SG_ERRMAX];
    out->has_fixed_eval = pol_evaluate_patched(p, out->fixed, default_namespace, now, ev, out->patch,
                                               &out->fixed_eval, why, sizeof why) == 0;
    if (!out->has_fixed_eval)
        return;
    /* A fix that would make the object fail another blocking check heals
     * nothing: the object is denied rather than patched into a new denial. */
    out->broken = first_broken(ev, &out->fixed_eval);
    if (!out->broken)
        mark_healed(ev, &out->fixed_eval, out->healed);
}

void sg_enforcement_free(sg_enforcement *e)
{
    if (!e)
        return;
    json_decref(e->patch);
    json_decref(e->fixed);
    if (e->has_fixed_eval)
        sg_eval_free(&e->fixed_eval);
    free(e->healed);
    memset(e, 0, sizeof *e);
}
