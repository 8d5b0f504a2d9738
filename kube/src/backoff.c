/*
 * backoff.c - how long to wait before retrying the API server: doubling from
 * an initial delay up to a cap, with "equal jitter" (half the delay fixed,
 * half random), so that many replicas that lost the API server together do
 * not come back in lockstep.
 */
#include <math.h>
#include <time.h>

#include "internal.h"

double kb_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double kb_random(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return (double)(x >> 11) / 9007199254740992.0;
}

void kb_backoff_init(kb_backoff *b, double initial, double max, uint64_t seed)
{
    b->initial = initial > 0 ? initial : 0.5;
    b->max = max >= b->initial ? max : b->initial;
    b->attempt = 0;
    b->rng = seed ? seed : 0x2545f4914f6cdd1dull;
}

double kb_backoff_next(kb_backoff *b)
{
    double d = b->initial * ldexp(1.0, (int)(b->attempt < 30 ? b->attempt : 30));
    if (d > b->max)
        d = b->max;
    if (b->attempt < 64)
        b->attempt++;
    return d / 2 + kb_random(&b->rng) * d / 2;
}

void kb_backoff_reset(kb_backoff *b)
{
    b->attempt = 0;
}
