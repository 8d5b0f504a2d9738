/*
 * remap.c - carry outcomes from one model to another by recommendation id.
 * Catalog indices change when a reload enables a standard or adds a custom
 * recommendation, and a saved inventory may come from another version; ids
 * are stable. A recommendation whose parameters changed keeps its recorded
 * outcome but is marked stale: only the objects could tell its new outcome.
 * The details (containers per unhealthy recommendation) follow the same map.
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

size_t sg__remap_details(const long *map, const char *in, size_t len, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        size_t entry = 2 + strlen(in + i + 2) + 1;
        long to = map[detail_rec(in + i)];
        if (to >= 0) {
            out[n] = (char)(to & 0xff);
            out[n + 1] = (char)(to >> 8);
            memcpy(out + n + 2, in + i + 2, entry - 2);
            n += entry;
        }
        i += entry;
    }
    return n;
}

bool sg__details_valid(const char *details, size_t len, size_t nrecs)
{
    if (len > SG_DETAILS_MAX)
        return false;
    for (size_t i = 0; i < len;) {
        if (len - i < 3 || detail_rec(details + i) >= nrecs)
            return false;
        const char *end = memchr(details + i + 2, 0, len - i - 2);
        if (!end || end - (details + i + 2) > SG_CONTAINER_NAME_MAX)
            return false;
        i = (size_t)(end - details) + 1;
    }
    return true;
}
