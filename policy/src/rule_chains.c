/*
 * rule_chains.c - the places of an object that a compiled rule may read, as
 * chains from a variable: container.securityContext.privileged is
 * [POL_VAR_CONTAINER, "securityContext", "privileged"]. The enforce step uses
 * them to evaluate on the fixed object only the recommendations its patch
 * can reach (reach.c).
 *
 * Conservative by construction: a chain stands for everything below it (a
 * value used whole, by size(), keys(), a comparison or a message, is read
 * whole); a computed index ends the chain at its base; a macro's list is read
 * whole, so what its body reads through the macro variable is covered;
 * effective(f) reads f of the container's and of the pod's securityContext.
 * `let`s are expanded in place by the compiler, so they are covered too.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal_rule_ast.h"

/* The constant key of an index node as a JSON Pointer step would spell it,
 * or NULL when the key is computed (or a number that is no array index). */
static json_t *constant_key(const pol_node *key)
{
    if (key->type != POL_N_CONST)
        return NULL;
    if (key->value.t == POL_V_STR)
        return json_stringn(key->value.s, key->value.len);
    if (key->value.t == POL_V_NUM && key->value.n >= 0 && key->value.n < 1e15 && floor(key->value.n) == key->value.n) {
        char num[32];
        snprintf(num, sizeof num, "%.0f", key->value.n);
        return json_string(num);
    }
    return NULL;
}

/* Append to `chain` the chain `n` is (a variable, then fields and constant
 * keys) and return true; false, with `chain` in any state, when it is not one. */
static bool chain_of(const pol_node *n, json_t *chain)
{
    if (n->type == POL_N_VAR)
        return json_array_append_new(chain, json_integer(n->var)) == 0;
    if (n->type == POL_N_FIELD)
        return chain_of(n->kids[0], chain) && json_array_append_new(chain, json_string(n->name)) == 0;
    if (n->type == POL_N_INDEX) {
        json_t *key = constant_key(n->kids[1]);
        if (!key)
            return false;
        if (!chain_of(n->kids[0], chain)) {
            json_decref(key);
            return false;
        }
        return json_array_append_new(chain, key) == 0;
    }
    return false;
}

static void add_effective(const char *field, json_t *out)
{
    json_array_append_new(out, json_pack("[i,s,s]", POL_VAR_CONTAINER, "securityContext", field));
    json_array_append_new(out, json_pack("[i,s,s]", POL_VAR_POD, "securityContext", field));
}

void pol_node_chains(const pol_node *n, json_t *out)
{
    if (!n)
        return;
    json_t *chain = sg_check_alloc(json_array());
    if (chain_of(n, chain)) {
        json_array_append_new(out, chain);
        return;
    }
    json_decref(chain);
    if (n->type == POL_N_CALL && n->func == POL_F_EFFECTIVE)
        add_effective(n->name, out);
    for (size_t i = 0; i < n->nkids; i++)
        pol_node_chains(n->kids[i], out);
}

void pol_expr_chains(const pol_expr *e, json_t *out)
{
    if (e)
        pol_node_chains(e->root, out);
}

/* Whether chain `a` is `b` or lies below it (b is a prefix of a). */
static bool covered_by(const json_t *a, const json_t *b)
{
    size_t n = json_array_size(b);
    if (json_array_size(a) < n || json_integer_value(json_array_get(a, 0)) != json_integer_value(json_array_get(b, 0)))
        return false;
    for (size_t i = 1; i < n; i++)
        if (strcmp(json_string_value(json_array_get(a, i)), json_string_value(json_array_get(b, i))))
            return false;
    return true;
}

/* Drop every chain that another covers (the same, or one below it): lets
 * expanded in place repeat the same reads many times. */
static void minimize(json_t *chains)
{
    for (size_t i = 0; i < json_array_size(chains);) {
        bool dropped = false;
        for (size_t k = 0; k < json_array_size(chains) && !dropped; k++)
            dropped = k != i && covered_by(json_array_get(chains, i), json_array_get(chains, k)) &&
                      (!covered_by(json_array_get(chains, k), json_array_get(chains, i)) || k < i);
        if (dropped)
            json_array_remove(chains, i);
        else
            i++;
    }
}

void pol_chains_build(pol_chains *c)
{
    minimize(c->json);
    c->n = json_array_size(c->json);
    size_t total = 0;
    for (size_t i = 0; i < c->n; i++)
        total += json_array_size(json_array_get(c->json, i)) - 1;
    c->v = sg_calloc(c->n + 1, sizeof *c->v);
    c->steps = sg_calloc(total + 1, sizeof *c->steps);
    const char **next = c->steps;
    for (size_t i = 0; i < c->n; i++) {
        const json_t *chain = json_array_get(c->json, i);
        c->v[i] = (pol_chain){(int)json_integer_value(json_array_get(chain, 0)), next, json_array_size(chain) - 1};
        for (size_t k = 1; k < json_array_size(chain); k++)
            *next++ = json_string_value(json_array_get(chain, k));
    }
}

void pol_chains_free(pol_chains *c)
{
    json_decref(c->json);
    free(c->v);
    free(c->steps);
    memset(c, 0, sizeof *c);
}
