/*
 * rule_analyze.c - static facts about compiled rule expressions, for the
 * checks settings.c makes at load: which variables a rule reads (a pod-scope
 * rule has no `container`), whether it reads the pod's container lists (so
 * that excludedContainers can have an effect), whether it reads the object
 * beyond its metadata (so that the inventory sync can list a kind as metadata
 * only), and whether an expression can yield a boolean at all (an `unhealthy`
 * that gives a string never fires).
 */
#include <string.h>

#include "internal_rule_ast.h"

/* Fields of the pod spec that hold containers or what containers mount. */
static bool container_field(const char *name)
{
    return !strcmp(name, "containers") || !strcmp(name, "initContainers") ||
           !strcmp(name, "ephemeralContainers") || !strcmp(name, "volumes");
}

/* Fields of every object that are not its body: object.metadata, object.kind, object.apiVersion. */
static bool head_field(const char *name)
{
    return !strcmp(name, "metadata") || !strcmp(name, "kind") || !strcmp(name, "apiVersion");
}

unsigned sg_node_reads(const sg_node *n)
{
    if (!n)
        return 0;
    if (n->type == SG_N_FIELD && n->kids[0]->type == SG_N_VAR && n->kids[0]->var == SG_VAR_OBJECT &&
        head_field(n->name))
        return SG_READS_VAR(SG_VAR_OBJECT);
    unsigned reads = 0;
    if (n->type == SG_N_VAR)
        reads |= SG_READS_VAR(n->var) | (n->var == SG_VAR_OBJECT ? SG_READS_OBJECT_BODY : 0);
    if (n->type == SG_N_FIELD && n->kids[0]->type == SG_N_VAR && n->kids[0]->var == SG_VAR_POD &&
        container_field(n->name))
        reads |= SG_READS_POD_CONTAINERS;
    for (size_t i = 0; i < n->nkids; i++)
        reads |= sg_node_reads(n->kids[i]);
    return reads;
}

unsigned sg_expr_reads(const sg_expr *e)
{
    return e ? sg_node_reads(e->root) : 0;
}

static const char *const_type(const sg_value *v)
{
    switch (v->t) {
    case SG_V_NULL: return "null";
    case SG_V_BOOL: return "bool";
    case SG_V_NUM: return "a number";
    case SG_V_STR: return "a string";
    case SG_V_JSON: return json_is_array(v->j) ? "a list" : "a map";
    }
    return NULL;
}

static const char *call_type(const sg_node *n)
{
    switch (n->func) {
    case SG_F_HAS: case SG_F_STARTS_WITH: case SG_F_ENDS_WITH: case SG_F_CONTAINS: case SG_F_MATCHES:
    case SG_F_IS_QUANTITY: case SG_F_PATH_PREFIX: case SG_F_IN_RANGES:
        return "bool";
    case SG_F_SIZE: case SG_F_QUANTITY: case SG_F_INT:
        return "a number";
    case SG_F_LOWER: case SG_F_UPPER: case SG_F_STRING: case SG_F_TYPE: case SG_F_JOIN:
        return "a string";
    case SG_F_KEYS:
        return "a list";
    case SG_F_COALESCE: {
        const char *first = sg_node_static_type(n->kids[0]);
        for (size_t i = 0; i < n->nkids; i++) {
            const char *t = sg_node_static_type(n->kids[i]);
            if (!t || !strcmp(t, "bool"))
                return NULL;
        }
        return first;
    }
    case SG_F_EFFECTIVE:
        return NULL;
    }
    return NULL;
}

const char *sg_node_static_type(const sg_node *n)
{
    switch (n->type) {
    case SG_N_CONST:
        return const_type(&n->value);
    case SG_N_VAR:
        return n->var == SG_VAR_NAMESPACE || n->var == SG_VAR_KIND || n->var == SG_VAR_NAME ||
                       n->var == SG_VAR_CONTAINER_TYPE
                   ? "a string"
                   : "a map";
    case SG_N_LOCAL: case SG_N_FIELD: case SG_N_INDEX:
        return NULL;
    case SG_N_NOT: case SG_N_AND: case SG_N_OR: case SG_N_EQ: case SG_N_NE: case SG_N_LT: case SG_N_LE:
    case SG_N_GT: case SG_N_GE: case SG_N_IN:
        return "bool";
    case SG_N_NEG: case SG_N_SUB:
        return "a number";
    case SG_N_ADD:
        return "a sum (a number, string or list)";
    case SG_N_LIST:
        return "a list";
    case SG_N_COND: {
        const char *a = sg_node_static_type(n->kids[1]), *b = sg_node_static_type(n->kids[2]);
        if (!a || !b)
            return NULL;
        if (!strcmp(a, "bool") || !strcmp(b, "bool"))
            return !strcmp(a, b) ? "bool" : NULL;
        return a;
    }
    case SG_N_CALL:
        return call_type(n);
    case SG_N_MACRO:
        return n->macro == SG_M_FILTER || n->macro == SG_M_MAP ? "a list" : "bool";
    }
    return NULL;
}

const char *sg_expr_static_type(const sg_expr *e)
{
    return sg_node_static_type(e->root);
}
