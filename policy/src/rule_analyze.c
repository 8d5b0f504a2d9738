/*
 * rule_analyze.c - static facts about compiled rule expressions, for the
 * checks made at load (catalog_compile.c, catalog_checks.c): which variables
 * a rule reads (a pod-scope rule has no `container`), whether it reads the
 * pod's container lists (so that excludedContainers can have an effect),
 * whether it reads the object beyond its metadata (so that the inventory sync
 * can list a kind as metadata only), and whether an expression can yield a
 * boolean at all (an `unhealthy` that gives a string never fires).
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

/* Whether `n` is a metadata map of the object: object.metadata, `metadata`,
 * or `podMetadata` (a Pod's own metadata). */
static bool metadata_node(const pol_node *n)
{
    if (n->type == POL_N_VAR)
        return n->var == POL_VAR_METADATA || n->var == POL_VAR_POD_METADATA;
    return n->type == POL_N_FIELD && !strcmp(n->name, "metadata") && n->kids[0]->type == POL_N_VAR &&
           n->kids[0]->var == POL_VAR_OBJECT;
}

/* Whether `n` may see metadata.managedFields: by name, or by taking the
 * object or a metadata map whole (keys(), an index with a computed key, a
 * comparison, a message that prints it). Conservative: a field of those by
 * any other name is safe, anything else that holds them is not. */
static bool managed_fields(const pol_node *n)
{
    if (!n)
        return false;
    if (n->type == POL_N_FIELD && metadata_node(n->kids[0]))
        return !strcmp(n->name, "managedFields");
    if (metadata_node(n))
        return true;
    if (n->type == POL_N_FIELD && n->kids[0]->type == POL_N_VAR && n->kids[0]->var == POL_VAR_OBJECT)
        return false;
    if (n->type == POL_N_VAR && n->var == POL_VAR_OBJECT)
        return true;
    for (size_t i = 0; i < n->nkids; i++)
        if (managed_fields(n->kids[i]))
            return true;
    return false;
}

static unsigned node_reads(const pol_node *n);

unsigned pol_node_reads(const pol_node *n)
{
    return node_reads(n) | (managed_fields(n) ? POL_READS_MANAGED_FIELDS : 0);
}

static unsigned node_reads(const pol_node *n)
{
    if (!n)
        return 0;
    if (n->type == POL_N_FIELD && n->kids[0]->type == POL_N_VAR && n->kids[0]->var == POL_VAR_OBJECT &&
        head_field(n->name))
        return POL_READS_VAR(POL_VAR_OBJECT);
    unsigned reads = 0;
    if (n->type == POL_N_VAR)
        reads |= POL_READS_VAR(n->var) | (n->var == POL_VAR_OBJECT ? POL_READS_OBJECT_BODY : 0);
    if (n->type == POL_N_FIELD && n->kids[0]->type == POL_N_VAR && n->kids[0]->var == POL_VAR_POD &&
        container_field(n->name))
        reads |= POL_READS_POD_CONTAINERS;
    for (size_t i = 0; i < n->nkids; i++)
        reads |= node_reads(n->kids[i]);
    return reads;
}

unsigned pol_expr_reads(const pol_expr *e)
{
    return e ? pol_node_reads(e->root) : 0;
}

static const char *const_type(const pol_value *v)
{
    switch (v->t) {
    case POL_V_NULL: return "null";
    case POL_V_BOOL: return "bool";
    case POL_V_NUM: return "a number";
    case POL_V_STR: return "a string";
    case POL_V_JSON: return json_is_array(v->j) ? "a list" : "a map";
    }
    return NULL;
}

static const char *call_type(const pol_node *n)
{
    switch (n->func) {
    case POL_F_HAS: case POL_F_STARTS_WITH: case POL_F_ENDS_WITH: case POL_F_CONTAINS: case POL_F_MATCHES:
    case POL_F_IS_QUANTITY: case POL_F_PATH_PREFIX: case POL_F_IN_RANGES:
        return "bool";
    case POL_F_SIZE: case POL_F_QUANTITY: case POL_F_INT:
        return "a number";
    case POL_F_LOWER: case POL_F_UPPER: case POL_F_STRING: case POL_F_TYPE: case POL_F_JOIN:
        return "a string";
    case POL_F_KEYS:
        return "a list";
    case POL_F_COALESCE: {
        const char *first = pol_node_static_type(n->kids[0]);
        for (size_t i = 0; i < n->nkids; i++) {
            const char *t = pol_node_static_type(n->kids[i]);
            if (!t || !strcmp(t, "bool"))
                return NULL;
        }
        return first;
    }
    case POL_F_EFFECTIVE:
        return NULL;
    }
    return NULL;
}

const char *pol_node_static_type(const pol_node *n)
{
    switch (n->type) {
    case POL_N_CONST:
        return const_type(&n->value);
    case POL_N_VAR:
        return n->var == POL_VAR_NAMESPACE || n->var == POL_VAR_KIND || n->var == POL_VAR_NAME ||
                       n->var == POL_VAR_CONTAINER_TYPE
                   ? "a string"
                   : "a map";
    case POL_N_LOCAL: case POL_N_FIELD: case POL_N_INDEX:
        return NULL;
    case POL_N_NOT: case POL_N_AND: case POL_N_OR: case POL_N_EQ: case POL_N_NE: case POL_N_LT: case POL_N_LE:
    case POL_N_GT: case POL_N_GE: case POL_N_IN:
        return "bool";
    case POL_N_NEG: case POL_N_SUB:
        return "a number";
    case POL_N_ADD:
        return "a sum (a number, string or list)";
    case POL_N_LIST:
        return "a list";
    case POL_N_COND: {
        const char *a = pol_node_static_type(n->kids[1]), *b = pol_node_static_type(n->kids[2]);
        if (!a || !b)
            return NULL;
        if (!strcmp(a, "bool") || !strcmp(b, "bool"))
            return !strcmp(a, b) ? "bool" : NULL;
        return a;
    }
    case POL_N_CALL:
        return call_type(n);
    case POL_N_MACRO:
        return n->macro == POL_M_FILTER || n->macro == POL_M_MAP ? "a list" : "bool";
    }
    return NULL;
}

const char *pol_expr_static_type(const pol_expr *e)
{
    return pol_node_static_type(e->root);
}
