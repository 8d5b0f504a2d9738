/*
 * remap.c - carry outcomes from one model to another by recommendation id.
 * Catalog indices change when a reload enables a standard or adds a custom
 * recommendation, and a saved inventory may come from another version; ids
 * are stable. A recommendation whose parameters changed keeps its recorded
 * outcome but is marked stale: only the objects could tell its new outcome.
 */
#include <string.h>

#include "internal.h"

void sg__remap_index(const sg_score_model *from, const sg_score_model *to, long *map)
{
    for (size_t i = 0; i < from->nrecs; i++)
        map[i] = from == to ? (long)i : sg_score_model_rec_index(to, from->recs[i].id);
}

void sg__remap_bits(const sg_score_model *from, const sg_score_model *to, const long *map,
                    const uint64_t *in, uint64_t *out)
{
    size_t fw = from->nwords, tw = to->nwords;
    memset(out, 0, SG_SETS * tw * sizeof *out);
    for (size_t i = 0; i < from->nrecs; i++) {
        if (map[i] < 0 || !bit_get(in + SET_KNOWN * fw, i))
            continue;
        size_t j = (size_t)map[i];
        assert(j < to->nrecs);
        for (int s = 0; s < SG_SETS; s++)
            if (bit_get(in + (size_t)s * fw, i))
                bit_set(out + (size_t)s * tw, j);
        if (from->recs[i].params_hash != to->recs[j].params_hash)
            bit_set(out + SET_STALE * tw, j);
    }
}
