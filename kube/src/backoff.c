/*
 * backoff.c - how long to wait before retrying the API server, the way
 * client-go's reflector does it (wait.Backoff with factor 2 and jitter 1.0):
 * the n-th retry in a row waits d = initial * 2^n plus up to d more at random,
 * capped at `max`; so with 0.8 s and 30 s: [0.8, 1.6), [1.6, 3.2), ... and
 * then 30 s. The random part keeps replicas that lost the API server together
 * from coming back in lockstep. The informer resets it only after a healthy
 * watch, so a list that works followed by a watch that does not still backs
 * off.
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
    b->initial = initial > 0 ? initial : KB_BACKOFF_INITIAL;
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
    d += kb_random(&b->rng) * d;
    return d < b->max ? d : b->max;
}

void kb_backoff_reset(kb_backoff *b)
{
    b->attempt = 0;
}
