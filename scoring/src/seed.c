/*
 * seed.c - fill the inventory from evaluations of existing objects (a scan,
 * or a list from the API server) in one all-or-nothing step: every outcome
 * is built first, the table grown once, and only then are they put.
 */
#include <stdlib.h>

#include "internal.h"

int sg_inventory_seed(sg_inventory *inv, const sg_eval *evals, size_t n, char *err,
                      size_t errlen)
{
    resource **fresh = calloc(n ? n : 1, sizeof *fresh);
    size_t nfresh = 0;
    int rc = 0;
    if (!fresh)
        return sg__fail(err, errlen, "inventory: out of memory");
    pthread_rwlock_wrlock(&inv->lock);
    sg_score_model *m = inv->model;
    for (size_t i = 0; i < n && !rc; i++) {
        sg_score_outcome *o;
        char why[SG_ERRMAX];
        if (sg_score_outcome_from_eval(m, &evals[i], &o, why, sizeof why)) {
            rc = sg__fail(err, errlen, "seeding: object %zu (%s %s): %s", i + 1,
                          evals[i].kind ? evals[i].kind : "?", evals[i].name ? evals[i].name : "?",
                          why);
            break;
        }
        if (!o->ignored) {
            fresh[nfresh] = sg__resource_new(m->nwords, o->bits, o->key, o->keylen, o->labels,
                                             o->labelslen);
            if (!fresh[nfresh++])
                rc = sg__fail(err, errlen, "seeding: out of memory");
        }
        sg_score_outcome_free(o);
    }
    if (!rc && sg__inv_reserve(inv, nfresh))
        rc = sg__fail(err, errlen, "seeding: out of memory");
    for (size_t i = 0; !rc && i < nfresh; i++) {
        resource *old = sg__inv_find(inv, resource_key(fresh[i], m->nwords), fresh[i]->keylen,
                                     fresh[i]->hash);
        if (old)
            free(sg__inv_unlink(inv, old));
        int put = sg__inv_insert(inv, fresh[i]);
        assert(put == 0);
        (void)put;
        fresh[i] = NULL;
    }
    pthread_rwlock_unlock(&inv->lock);
    for (size_t i = 0; i < nfresh; i++)
        free(fresh[i]);
    free(fresh);
    return rc;
}
