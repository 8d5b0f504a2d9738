/*
 * score.c - the arithmetic of the secure score (docs/scoring.md), exactly as
 * Defender for Cloud does it: per control current = max * healthy /
 * (healthy + unhealthy), rounded half up to 2 decimals; a control with neither
 * healthy nor unhealthy resources drops out with max 0; the percent is the sum
 * of the rounded currents over the sum of the maxima. Rounded values are
 * computed in integer hundredths so that ties (0.125, 0.005) round the way
 * decimal arithmetic does, not the way binary floating point happens to.
 */
#include <string.h>

#include "internal.h"

/* round_half_up(num / den) for num >= 0, den > 0; 64-bit when it fits. */
static long long div_round(unsigned __int128 num, unsigned __int128 den)
{
    if (num < ((unsigned __int128)1 << 61) && den < ((unsigned __int128)1 << 61))
        return (long long)((2 * (uint64_t)num + (uint64_t)den) / (2 * (uint64_t)den));
    return (long long)((2 * num + den) / (2 * den));
}

void sg_score_compute(const sg_score_model *m, const size_t *healthy, const size_t *unhealthy,
                      const size_t *not_applicable, sg_score *out)
{
    long long sum_cents = 0, sum_max = 0;
    double exact_sum = 0;
    memset(out, 0, sizeof *out);
    out->ncontrols = m->ncontrols;
    for (size_t c = 0; c < m->ncontrols; c++) {
        sg_score_control *sc = &out->controls[c];
        size_t h = healthy[c], u = unhealthy[c];
        sc->id = m->controls[c].id;
        sc->name = m->controls[c].name;
        sc->configured_max = m->controls[c].max;
        sc->healthy = h;
        sc->unhealthy = u;
        sc->not_applicable = not_applicable ? not_applicable[c] : 0;
        if (h + u == 0)
            continue;
        long long max = m->max_cents[c];
        long long cents = div_round((unsigned __int128)max * h, (unsigned __int128)(h + u));
        assert(cents >= 0 && cents <= max);
        sc->max = (double)max / 100.0;
        sc->current = (double)cents / 100.0;
        sc->exact = sc->max * (double)h / (double)(h + u);
        sc->potential = (double)(max - cents) / 100.0;
        sum_cents += cents;
        sum_max += max;
        exact_sum += sc->exact;
    }
    out->current = (double)sum_cents / 100.0;
    out->max = (double)sum_max / 100.0;
    out->has_percent = sum_max > 0;
    if (out->has_percent) {
        out->percent = (double)div_round((unsigned __int128)sum_cents * 10000, sum_max) / 100.0;
        out->exact_percent = exact_sum / out->max * 100.0;
    }
}

void sg__score_counts(const sg_score_model *m, const size_t *healthy, const size_t *unhealthy,
                      size_t resources, size_t stale, sg_score *out)
{
    size_t na[SG_SCORE_MAX_CONTROLS];
    for (size_t c = 0; c < m->ncontrols; c++) {
        assert(healthy[c] + unhealthy[c] <= resources);
        na[c] = resources - healthy[c] - unhealthy[c];
    }
    sg_score_compute(m, healthy, unhealthy, na, out);
    out->resources = resources;
    out->stale_resources = stale;
}
