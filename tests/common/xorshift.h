/*
 * xorshift.h - the small deterministic generator that the randomized tests
 * and the benchmarks draw from (Marsaglia's xorshift64): the same seed gives
 * the same inputs on every machine, so a failure can be replayed. Header
 * only; each user keeps its own state and seed.
 */
#ifndef SG_TESTS_XORSHIFT_H
#define SG_TESTS_XORSHIFT_H

#include <stdint.h>

/* The next number of the sequence in *state (never 0 unless seeded with 0). */
static inline uint64_t xorshift_next(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

#endif
