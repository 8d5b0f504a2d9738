/*
 * reach.c - which recommendations a JSON Patch can change the findings of,
 * so that the enforce step evaluates on the fixed object only those (the
 * second, whole evaluation was a sixth of a /mutate review; issue 21).
 *
 * A recommendation is reached when one of the chains it may read
 * (rule_chains.c), placed in the object (a container chain under every
 * container of the pod spec), lies on an operation's path: one is a prefix
 * of the other, so a change at, above or below what it reads counts. The
 * operation is placed once under each variable's place (relate()), so that
 * a chain costs a comparison of its own steps only.
 *
 * Some operations change what every recommendation depends on without any
 * rule naming it, and reach them all: the root, kind or apiVersion; any of
 * the object's metadata but its annotations (name, namespace, labels and
 * owners decide scope, common parameters and exemptions); the pod spec or
 * anything above it (whether there is a pod to check), anything above the
 * pod's metadata (an `object` fix may replace it whole); a container list, a
 * container, or a container's name or image (which containers are checked,
 * excluded or left out of a pod view). Anything but add, replace and remove
 * reaches all too; sg_policy_fix emits no other.
 */
#include <stdlib.h>
#include <string.h>

#include "internal_policy.h"

#define MAX_STEPS 64
#define MAX_POINTER 1024

/* A JSON Pointer split into its unescaped steps ("~1" is "/", "~0" is "~"). */
typedef struct pointer {
    char text[MAX_POINTER];     /* the steps, each NUL-terminated */
    const char *steps[MAX_STEPS];
    size_t n;
} pointer;

/* Split `ptr`; -1 when it is not a pointer, or too long or deep to compare
 * (such an operation reaches every recommendation). */
static int pointer_split(const char *ptr, pointer *out)
{
    out->n = 0;
    if (!ptr || (*ptr && *ptr != '/') || strlen(ptr) >= MAX_POINTER)
        return -1;
    char *w = out->text;
    for (const char *r = ptr; *r;) {
        if (out->n == MAX_STEPS)
            return -1;
        r++;   /* the '/' */
        out->steps[out->n++] = w;
        for (; *r && *r != '/'; r++) {
            if (*r == '~' && (r[1] == '0' || r[1] == '1'))
                *w++ = *++r == '0' ? '~' : '/';
            else
                *w++ = *r;
        }
        *w++ = '\0';
    }
    return 0;
}

/* strcmp() == 0, without a call for the steps that differ at once (most). */
static bool same_step(const char *a, const char *b)
{
    return *a == *b && !strcmp(a, b);
}

static bool is_container_list(const char *step)
{
    return !strcmp(step, "containers") || !strcmp(step, "initContainers") || !strcmp(step, "ephemeralContainers");
}

/* Whether `a` (n steps) starts with `prefix` (m steps). */
static bool starts_with(const pointer *a, const pointer *prefix)
{
    if (a->n < prefix->n)
        return false;
    for (size_t i = 0; i < prefix->n; i++)
        if (!same_step(a->steps[i], prefix->steps[i]))
            return false;
    return true;
}

/* Whether the operation at `op` changes what every recommendation depends on. */
static bool reaches_all(const pointer *op, const pointer *spec, const pointer *meta)
{
    if (op->n == 0 || !strcmp(op->steps[0], "kind") || !strcmp(op->steps[0], "apiVersion"))
        return true;
    if (!strcmp(op->steps[0], "metadata") && (op->n == 1 || strcmp(op->steps[1], "annotations")))
        return true;
    if (!spec->n)
        return false;
    if (starts_with(spec, op) || (op->n < meta->n && starts_with(meta, op)))
        return true;   /* the pod spec or above it, or above the pod's metadata */
    if (!starts_with(op, spec))
        return false;
    size_t k = spec->n;   /* op->steps[k] is a field of the pod spec */
    if (!is_container_list(op->steps[k]))
        return false;
    return op->n <= k + 2 || !strcmp(op->steps[k + 2], "name") || !strcmp(op->steps[k + 2], "image");
}

/* Where an operation lies relative to each variable's place in the object:
 * rest[var] is the operation's steps below that place, or NULL when it is
 * not under it (a variable whose place lies below the operation is never
 * asked about: reaches_all() has taken those). A container's place is under
 * every container of the pod spec: the list and the index match anything. */
typedef struct relative {
    const char *const *rest[POL_VAR_COUNT];
    size_t nrest[POL_VAR_COUNT];
} relative;

static void place_under(relative *rel, int var, const pointer *op, const pointer *base, size_t wild)
{
    if (base->n + wild > op->n || !starts_with(op, base))
        return;
    rel->rest[var] = op->steps + base->n + wild;
    rel->nrest[var] = op->n - base->n - wild;
}

static void relate(const pointer *op, const pointer *spec, const pointer *meta, relative *rel)
{
    static const pointer root = {.n = 0}, metadata = {.steps = {"metadata"}, .n = 1};
    memset(rel, 0, sizeof *rel);
    place_under(rel, POL_VAR_OBJECT, op, &root, 0);
    place_under(rel, POL_VAR_METADATA, op, &metadata, 0);
    if (!spec->n)
        return;   /* no pod spec: pod and container are null */
    place_under(rel, POL_VAR_POD, op, spec, 0);
    place_under(rel, POL_VAR_POD_METADATA, op, meta, 0);
    if (op->n > spec->n && is_container_list(op->steps[spec->n]))   /* the list and index, not any two steps */
        place_under(rel, POL_VAR_CONTAINER, op, spec, 2);
}

/* Whether `c` and the operation meet: one of the two is a prefix of the other. */
static bool chain_meets(const pol_chain *c, const relative *rel)
{
    const char *const *rest = rel->rest[c->var];
    if (!rest)
        return false;
    size_t n = c->nsteps < rel->nrest[c->var] ? c->nsteps : rel->nrest[c->var];
    for (size_t i = 0; i < n; i++)
        if (!same_step(c->steps[i], rest[i]))
            return false;
    return true;
}

static bool rec_reached(const pol_rec *r, const relative *rel)
{
    for (size_t i = 0; i < r->reads.n; i++)
        if (chain_meets(&r->reads.v[i], rel))
            return true;
    return false;
}

/* Mark in `reached` the recommendations `op` (an operation) reaches; false
 * when it reaches all of them. */
static bool mark_operation(const sg_policy *p, const json_t *op, const pointer *spec, const pointer *meta,
                           bool *reached)
{
    const char *kind = json_string_value(json_object_get(op, "op"));
    pointer at;
    bool known = kind && (!strcmp(kind, "add") || !strcmp(kind, "replace") || !strcmp(kind, "remove")) &&
                 pointer_split(json_string_value(json_object_get(op, "path")), &at) == 0;
    bool all = !known || reaches_all(&at, spec, meta);
    relative rel;
    if (!all)
        relate(&at, spec, meta, &rel);
    for (size_t i = 0; i < p->nrecs && !all; i++)   /* a disabled one has no findings to keep or redo */
        reached[i] = reached[i] || (p->recs[i].info.enabled && p->recs[i].info.configured &&
                                    rec_reached(&p->recs[i], &rel));
    return !all;
}

bool *pol_patch_reach(const sg_policy *p, const json_t *patch, const pol_workload *w)
{
    pointer spec, meta;
    if (pointer_split(w->spec_pointer ? w->spec_pointer : "", &spec) < 0 ||
        pointer_split(w->metadata_pointer ? w->metadata_pointer : "/metadata", &meta) < 0)
        return NULL;
    bool *reached = sg_calloc(p->nrecs + 1, sizeof *reached);
    size_t i;
    const json_t *op;
    json_array_foreach(patch, i, op) {
        if (!mark_operation(p, op, &spec, &meta, reached)) {
            free(reached);
            reached = NULL;
            break;
        }
    }
    return reached;
}
