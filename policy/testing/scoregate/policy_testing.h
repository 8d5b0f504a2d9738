/*
 * scoregate/policy_testing.h - for tests and fuzz targets only: the rule
 * language of docs/rule-language.md on its own, without a recommendation
 * around it, and a comparison of two evaluations. Not API: the library that implements it (sg_policy_testing) is
 * linked by tests/ only, never by the scoregate binary, and its names carry
 * policy's internal prefix.
 */
#ifndef SCOREGATE_POLICY_TESTING_H
#define SCOREGATE_POLICY_TESTING_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include <scoregate/policy.h>

typedef enum pol_testing_form {
    POL_TESTING_EXPR,        /* an expression (applies, unhealthy, a fix's value) */
    POL_TESTING_TEMPLATE,    /* a message template, text with ${expression} parts */
    POL_TESTING_PATH         /* a fix's target path */
} pol_testing_form;

typedef struct pol_testing_case {
    pol_testing_form form;
    const char *text;
    const json_t *params;       /* the effective parameters; NULL: none (an empty object) */
    const json_t *lets;         /* name -> expression text, as a recommendation's `let`; may be NULL */
    const json_t *object;       /* the object evaluated; NULL: every variable is null */
    const char *namespace_;     /* NULL: the object's metadata.namespace */
    const char *container;      /* the container bound as `container`, by name, from the pod
                                   template's containers, initContainers or ephemeralContainers;
                                   NULL: `container` and `containerType` are null */
} pol_testing_case;

/*
 * Compile c->text in its form, as the loader compiles a recommendation's
 * parts (params folded in), and evaluate it once with the variables bound as
 * the engine binds them (the pod template of a workload kind). Returns 0 with
 * *value a new reference: the expression's value, the rendered message (a
 * string), or the path's steps (a list of keys and indexes; null when a step
 * does not resolve); *cut says whether evaluation stopped at a limit (steps or
 * a pattern's match limits). Returns -1 with the compiler's message in err
 * ("column N: ..."), or when c->container names no container.
 */
int pol_testing_run(const pol_testing_case *c, json_t **value, bool *cut, char *err, size_t errlen);

/*
 * Whether two evaluations say the same, finding by finding and field by
 * field (strings by their text): the enforce step's evaluation of a fixed
 * object against a whole evaluation of it. Returns 0 when they do; -1 with
 * the first difference in `why`.
 */
int pol_testing_evals_differ(const sg_eval *a, const sg_eval *b, char *why, size_t whylen);

/*
 * The recommendations that `patch` (JSON Patch operations on `object`) can
 * change the findings of, as the enforce step works them out before it
 * evaluates the fixed object again: *ids receives a new list of their ids
 * (enabled ones only), or JSON null when the patch reaches every one.
 * Returns -1 when `object` has no string apiVersion and kind.
 */
int pol_testing_reached(const sg_policy *p, const json_t *object, const json_t *patch, json_t **ids);

#endif
