/*
 * reload.c - re-score after a config reload without the objects. Each
 * resource keeps its raw outcomes and what exemptions match on, so a new
 * model (other actions, standards, controls) and new exemptions only need
 * the outcomes mapped by recommendation id and the exemptions decided again.
 * The new table is built aside and swapped in: all or nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The labels of a resource as a JSON object. */
json_t *sg__labels_json(const char *flat, size_t len)
{
    json_t *obj = sg_check_alloc(json_object());
    for (size_t i = 0; i < len;) {
        const char *key = flat + i;
        const char *value = key + strlen(key) + 1;
        if (json_object_set_new_nocheck(obj, key, sg_check_alloc(json_string_nocheck(value))))
            sg_oom();
        i = (size_t)(value + strlen(value) + 1 - flat);
    }
    return obj;
}

/* Decide the exemptions of every applying recommendation again. */
static void rematch(const sg_score_model *m, uint64_t *bits, const resource *r,
                    sg_score_exemption_fn match, void *ctx)
{
    size_t nw = m->nwords;
    const char *group = resource_key(r, nw);
    const char *kind = group + strlen(group) + 1;
    const char *ns = kind + strlen(kind) + 1;
    const char *name = ns + strlen(ns) + 1;
    json_t *labels = sg__labels_json(resource_labels(r, nw), r->labelslen);
    memset(bits + SET_WAIVED * nw, 0, 2 * nw * sizeof *bits);
    for (size_t w = 0; w < nw; w++)
        for (uint64_t word = bits[SET_APPLIES * nw + w]; word; word &= word - 1) {
            size_t rec = w * 64 + (size_t)__builtin_ctzll(word);
            sg_exemption_category cat = match(ctx, rec, group, kind, *ns ? ns : NULL, name, labels);
            if (cat == SG_EXEMPT_WAIVER)
                bit_set(bits + SET_WAIVED * nw, rec);
            else if (cat == SG_EXEMPT_MITIGATED)
                bit_set(bits + SET_MITIGATED * nw, rec);
        }
    json_decref(labels);
}

void sg_inventory_reload(sg_inventory *inv, sg_score_model *m, sg_score_exemption_fn match, void *ctx)
{
    pthread_rwlock_wrlock(&inv->lock);
    const sg_score_model *old = inv->model;
    size_t nbuckets = inv->nbuckets, count = 0;
    long *map = sg_calloc(old->nrecs, sizeof *map);
    uint64_t *bits = sg_calloc(SG_SETS * m->nwords, sizeof *bits);
    resource **buckets = sg_calloc(nbuckets, sizeof *buckets);
    char *details = sg_malloc(SG_DETAILS_MAX);
    sg__remap_index(old, m, map);
    for (size_t i = 0; i < inv->nbuckets; i++)
        for (const resource *r = inv->buckets[i]; r; r = r->next) {
            sg__remap_bits(old, m, map, r->bits, bits);
            if (match)
                rematch(m, bits, r, match, ctx);
            resource_text t = sg__resource_text(r, old->nwords);
            t.detailslen = sg__remap_details(map, t.details, t.detailslen, details);
            t.details = details;
            sg__table_put(&buckets, &nbuckets, &count, sg__resource_new(m->nwords, bits, &t), m->nwords);
        }
    sg__inv_replace_table(inv, m, buckets, nbuckets, count);
    pthread_rwlock_unlock(&inv->lock);
    free(map);
    free(bits);
    free(details);
}
