/*
 * internal_rule_ast.h - the compiled form of rule expressions, shared by the
 * compiler (rule_compile.c) and the evaluator (rule_eval.c) only.
 */
#ifndef POL_INTERNAL_RULE_AST_H
#define POL_INTERNAL_RULE_AST_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "internal_rule.h"

typedef enum pol_node_type {
    POL_N_CONST,
    POL_N_VAR,       /* a bound variable (enum pol_var) */
    POL_N_LOCAL,     /* a macro variable, by depth */
    POL_N_FIELD,     /* a.name */
    POL_N_INDEX,     /* a[expr] */
    POL_N_NOT,
    POL_N_NEG,
    POL_N_AND,
    POL_N_OR,
    POL_N_EQ,
    POL_N_NE,
    POL_N_LT,
    POL_N_LE,
    POL_N_GT,
    POL_N_GE,
    POL_N_IN,
    POL_N_ADD,
    POL_N_SUB,
    POL_N_COND,      /* a ? b : c */
    POL_N_LIST,      /* [a, b, ...] with non-constant items */
    POL_N_CALL,      /* a helper function */
    POL_N_MACRO      /* list.exists(x, e) and friends */
} pol_node_type;

typedef enum pol_func {
    POL_F_HAS,
    POL_F_SIZE,
    POL_F_LOWER,
    POL_F_UPPER,
    POL_F_STARTS_WITH,
    POL_F_ENDS_WITH,
    POL_F_CONTAINS,
    POL_F_MATCHES,
    POL_F_QUANTITY,
    POL_F_IS_QUANTITY,
    POL_F_PATH_PREFIX,
    POL_F_IN_RANGES,
    POL_F_COALESCE,
    POL_F_EFFECTIVE,
    POL_F_STRING,
    POL_F_INT,
    POL_F_KEYS,
    POL_F_TYPE,
    POL_F_JOIN
} pol_func;

typedef enum pol_macro { POL_M_EXISTS, POL_M_ALL, POL_M_EXISTS_ONE, POL_M_FILTER, POL_M_MAP } pol_macro;

typedef struct pol_node pol_node;
struct pol_node {
    pol_node_type type;
    int column;                 /* 1-based, for messages */
    pol_value value;             /* POL_N_CONST */
    json_t *owned;              /* POL_N_CONST: JSON this node owns (string or list) */
    int var;                    /* POL_N_VAR: enum pol_var; POL_N_LOCAL: depth */
    char *name;                 /* POL_N_FIELD: the field; POL_F_EFFECTIVE: the field */
    pol_func func;
    pol_macro macro;
    pcre2_code *re;             /* POL_F_MATCHES with a constant pattern */
    pol_node **kids;             /* operands, arguments, list items */
    size_t nkids;
};

struct pol_expr {
    pol_node *root;
    char *text;
};

/* Evaluate a node (rule_eval.c). */
pol_value pol_node_eval(const pol_node *n, pol_rule_ctx *ctx);
/* Compile a regular expression with the engine's limits (rule_eval.c). */
pcre2_code *pol_regex_compile(const char *pattern, size_t len, char *err, size_t errlen);
/* Parse a complete expression into a node tree (rule_compile.c). */
pol_node *pol_rule_parse(const char *text, const json_t *params, const json_t *lets, int depth, char *err,
                         size_t errlen);
/* Nodes (rule_node.c): a new node, a new operand of `n`, and freeing a tree. */
pol_node *pol_node_new(pol_node_type type, int column);
void pol_node_add(pol_node *n, pol_node *kid);
void pol_node_free(pol_node *n);
/* A constant node holding a JSON value (borrowed unless `own`). */
pol_node *pol_node_const(const json_t *j, int column, bool own);
/* `n`, or when its operands are all constants, a constant of its value (`n` is freed). */
pol_node *pol_node_fold(pol_node *n);
/* base.field, folded at once when `base` is a constant (it is freed then). */
pol_node *pol_node_field(pol_node *base, const char *field, int column);
/* Static facts about a node tree (rule_analyze.c). */
unsigned pol_node_reads(const pol_node *n);
/* The chains a node tree may read, appended to `out` (rule_chains.c). */
void pol_node_chains(const pol_node *n, json_t *out);
const char *pol_node_static_type(const pol_node *n);

#endif
