/*
 * health.c - the healthy-in-a-control rule (docs/scoring.md) over one outcome's
 * bit sets. Per recommendation: not applicable when it produced no finding or
 * is waived, healthy when mitigated or healthy before exemptions, unhealthy
 * otherwise. Per control: unhealthy when any scored recommendation of the
 * control is unhealthy, healthy when at least one applies and none is,
 * not applicable when none applies.
 */
#include "internal.h"

sg_score_state sg__rec_state(const uint64_t *bits, size_t nwords, size_t rec)
{
    const uint64_t *applies = bits + SET_APPLIES * nwords;
    assert(!bit_get(applies, rec) || bit_get(bits + SET_KNOWN * nwords, rec));
    if (!bit_get(applies, rec) || bit_get(bits + SET_WAIVED * nwords, rec))
        return SG_SCORE_NOT_APPLICABLE;
    if (bit_get(bits + SET_MITIGATED * nwords, rec) || !bit_get(bits + SET_UNHEALTHY * nwords, rec))
        return SG_SCORE_HEALTHY;
    return SG_SCORE_UNHEALTHY;
}

sg_score_state sg__control_state(const sg_score_model *m, const uint64_t *bits, size_t control)
{
    size_t nw = m->nwords;
    const uint64_t *mask = m->masks + control * nw;
    uint64_t any = 0;
    assert(control < m->ncontrols);
    for (size_t w = 0; w < nw; w++) {
        uint64_t eff = bits[SET_APPLIES * nw + w] & ~bits[SET_WAIVED * nw + w] & mask[w];
        if (eff & bits[SET_UNHEALTHY * nw + w] & ~bits[SET_MITIGATED * nw + w])
            return SG_SCORE_UNHEALTHY;
        any |= eff;
    }
    return any ? SG_SCORE_HEALTHY : SG_SCORE_NOT_APPLICABLE;
}

bool sg__is_stale(const sg_score_model *m, const uint64_t *bits)
{
    size_t nw = m->nwords;
    for (size_t w = 0; w < nw; w++)
        if ((~bits[SET_KNOWN * nw + w] | bits[SET_STALE * nw + w]) & m->scored[w])
            return true;
    return false;
}
