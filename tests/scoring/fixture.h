/*
 * fixture.h - small builders shared by the scoring tests: models from plain
 * arrays and outcomes from a compact string notation, so each test reads as
 * data. Header-only (static functions) to keep every test one executable.
 *
 * Outcome notation: one character per recommendation of the model, in
 * catalog order: '.' no finding, 'h' healthy, 'u' unhealthy, 'w' unhealthy
 * but waived, 'm' unhealthy but mitigated, 'W' healthy and waived.
 */
#ifndef SG_TEST_SCORING_FIXTURE_H
#define SG_TEST_SCORING_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <scoregate/scoring.h>

/* cmocka 1.1.5 compares floats only; scores need doubles. */
#define assert_double_equal(a, b, eps) fx_near((a), (b), (eps), #a, __FILE__, __LINE__)
static inline void fx_near(double a, double b, double eps, const char *what, const char *file,
                           int line)
{
    if (!(a - b <= eps && b - a <= eps))
        fail_msg("%s:%d: %s is %.17g, expected %.17g", file, line, what, a, b);
}

/* A model with the given controls and `n` scored recommendations r0..r(n-1),
 * recommendation i in control controls_of[i] (NULL: not scored). */
static inline sg_score_model *fx_model(const sg_score_control_def *controls, size_t ncontrols,
                                const char *const *controls_of, size_t n)
{
    sg_score_rec_def defs[64];
    char ids[64][24];
    sg_score_model *m = NULL;
    char err[SG_ERRMAX];
    assert_true(n <= 64);
    for (size_t i = 0; i < n; i++) {
        snprintf(ids[i], sizeof ids[i], "r%zu", i);
        defs[i] = (sg_score_rec_def){ids[i], controls_of[i], controls_of[i] != NULL, true, 0};
    }
    if (sg_score_model_new(controls, ncontrols, defs, n, &m, err, sizeof err))
        fail_msg("model: %s", err);
    return m;
}

static inline sg_score_outcome *fx_outcome(sg_score_model *m, const char *kind, const char *ns,
                                    const char *name, const char *states)
{
    sg_score_outcome *o = NULL;
    char err[SG_ERRMAX];
    if (sg_score_outcome_new(m, "apps/v1", kind, ns, name, &o, err, sizeof err))
        fail_msg("outcome: %s", err);
    for (size_t i = 0; states[i]; i++) {
        char c = states[i];
        if (c == '.')
            continue;
        sg_exemption_category cat = c == 'w' || c == 'W' ? SG_EXEMPT_WAIVER
                                    : c == 'm'           ? SG_EXEMPT_MITIGATED
                                                         : SG_EXEMPT_NONE;
        if (sg_score_outcome_record(o, i, c == 'u' || c == 'w' || c == 'm', cat, err, sizeof err))
            fail_msg("record: %s", err);
    }
    return o;
}

static inline void fx_apply(sg_inventory *inv, sg_score_op op, sg_score_outcome *o)
{
    char err[SG_ERRMAX];
    if (sg_inventory_apply(inv, op, o, err, sizeof err))
        fail_msg("apply: %s", err);
    sg_score_outcome_free(o);
}

/* xorshift64: the tests' seeded random numbers (replayable with SG_SEED). */
static inline uint64_t fx_next(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

static inline void fx_check(sg_inventory *inv)
{
    char err[SG_ERRMAX];
    if (sg_inventory_check(inv, err, sizeof err))
        fail_msg("check: %s", err);
}

static inline const sg_score_control *fx_control(const sg_score *s, const char *id)
{
    for (size_t i = 0; i < s->ncontrols; i++)
        if (!strcmp(s->controls[i].id, id))
            return &s->controls[i];
    fail_msg("no control %s", id);
    return NULL;
}

#endif
