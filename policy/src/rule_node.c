/*
 * rule_node.c - the nodes of a compiled expression: building them, freeing
 * them, constants, and constant folding. A node whose operands are all
 * constants is computed once, here, at load: params.cpuLimit and
 * quantity(params.cpuLimit) cost nothing per request.
 */
#include <stdlib.h>

#include "internal_rule_ast.h"

pol_node *pol_node_new(pol_node_type type, int column)
{
    pol_node *n = sg_calloc(1, sizeof *n);
    n->type = type;
    n->column = column;
    return n;
}

void pol_node_add(pol_node *n, pol_node *kid)
{
    pol_node **grown = sg_realloc(n->kids, (n->nkids + 1) * sizeof *grown);
    n->kids = grown;
    n->kids[n->nkids++] = kid;
}

void pol_node_free(pol_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nkids; i++)
        pol_node_free(n->kids[i]);
    free(n->kids);
    free(n->name);
    json_decref(n->owned);
    if (n->re)
        pcre2_code_free(n->re);
    free(n);
}

/* A constant node holding a JSON value (borrowed unless `own`). */
pol_node *pol_node_const(const json_t *j, int column, bool own)
{
    pol_node *n = pol_node_new(POL_N_CONST, column);
    if (own)
        n->owned = (json_t *)j;
    switch (j ? json_typeof(j) : JSON_NULL) {
    case JSON_STRING:
        n->value.t = POL_V_STR;
        n->value.s = json_string_value(j);
        n->value.len = json_string_length(j);
        break;
    case JSON_INTEGER:
    case JSON_REAL:
        n->value.t = POL_V_NUM;
        n->value.n = json_number_value(j);
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        n->value.t = POL_V_BOOL;
        n->value.b = json_is_true(j);
        break;
    case JSON_OBJECT:
    case JSON_ARRAY:
        n->value.t = POL_V_JSON;
        n->value.j = j;
        break;
    default:
        n->value.t = POL_V_NULL;
    }
    return n;
}

static const json_t *const_as_json(const pol_node *n)
{
    return n->value.t == POL_V_JSON ? n->value.j : NULL;
}

/* Replace a node whose operands are all constants by its value, computed once
 * here: quantity(params.cpuLimit) or '*' in params.allowedCapabilities then
 * cost nothing per request. effective() reads the object and is never folded. */
pol_node *pol_node_fold(pol_node *n)
{
    if (n->type == POL_N_CONST || n->type == POL_N_MACRO || n->type == POL_N_LIST ||
        (n->type == POL_N_CALL && n->func == POL_F_EFFECTIVE))
        return n;
    for (size_t i = 0; i < n->nkids; i++)
        if (n->kids[i]->type != POL_N_CONST)
            return n;
    pol_rule_ctx ctx;
    pol_rule_ctx_init(&ctx);
    pol_value v = pol_node_eval(n, &ctx);
    if (ctx.cut) {
        /* Stopped at a limit (a catastrophic constant pattern): a folded
         * value would drop the cut, so it stays to be evaluated, and cut,
         * per check, which fails closed. */
        pol_rule_ctx_free(&ctx);
        return n;
    }
    pol_node *c;
    if (v.t == POL_V_STR || v.t == POL_V_JSON) {
        c = pol_node_const(pol_value_to_json(v), n->column, true);
    } else {
        c = pol_node_new(POL_N_CONST, n->column);
        c->value = v;
    }
    pol_rule_ctx_free(&ctx);
    pol_node_free(n);
    return c;
}

/* Field access on a constant folds: params.cpuLimit becomes "32" at load. */
pol_node *pol_node_field(pol_node *base, const char *field, int column)
{
    if (base->type == POL_N_CONST) {
        const json_t *j = const_as_json(base);
        const json_t *v = j && json_is_object(j) ? json_object_get(j, field) : NULL;
        json_t *keep = base->owned ? json_incref((json_t *)v) : NULL;
        pol_node *folded = pol_node_const(v, column, false);
        folded->owned = keep;
        pol_node_free(base);
        return folded;
    }
    pol_node *n = pol_node_new(POL_N_FIELD, column);
    n->name = sg_strdup(field);
    pol_node_add(n, base);
    return n;
}
