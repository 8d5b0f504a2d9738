/*
 * internal_rule_ast.h - the compiled form of rule expressions, shared by the
 * compiler (rule_compile.c) and the evaluator (rule_eval.c) only.
 */
#ifndef SG_INTERNAL_RULE_AST_H
#define SG_INTERNAL_RULE_AST_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "internal_rule.h"

typedef enum sg_node_type {
    SG_N_CONST,
    SG_N_VAR,       /* a bound variable (enum sg_var) */
    SG_N_LOCAL,     /* a macro variable, by depth */
    SG_N_FIELD,     /* a.name */
    SG_N_INDEX,     /* a[expr] */
    SG_N_NOT,
    SG_N_NEG,
    SG_N_AND,
    SG_N_OR,
    SG_N_EQ,
    SG_N_NE,
    SG_N_LT,
    SG_N_LE,
    SG_N_GT,
    SG_N_GE,
    SG_N_IN,
    SG_N_ADD,
    SG_N_SUB,
    SG_N_COND,      /* a ? b : c */
    SG_N_LIST,      /* [a, b, ...] with non-constant items */
    SG_N_CALL,      /* a helper function */
    SG_N_MACRO      /* list.exists(x, e) and friends */
} sg_node_type;

typedef enum sg_func {
    SG_F_HAS,
    SG_F_SIZE,
    SG_F_LOWER,
    SG_F_UPPER,
    SG_F_STARTS_WITH,
    SG_F_ENDS_WITH,
    SG_F_CONTAINS,
    SG_F_MATCHES,
    SG_F_QUANTITY,
    SG_F_IS_QUANTITY,
    SG_F_PATH_PREFIX,
    SG_F_IN_RANGES,
    SG_F_COALESCE,
    SG_F_EFFECTIVE,
    SG_F_STRING,
    SG_F_INT,
    SG_F_KEYS,
    SG_F_TYPE,
    SG_F_JOIN
} sg_func;

typedef enum sg_macro { SG_M_EXISTS, SG_M_ALL, SG_M_EXISTS_ONE, SG_M_FILTER, SG_M_MAP } sg_macro;

typedef struct sg_node sg_node;
struct sg_node {
    sg_node_type type;
    int column;                 /* 1-based, for messages */
    sg_value value;             /* SG_N_CONST */
    json_t *owned;              /* SG_N_CONST: JSON this node owns (string or list) */
    int var;                    /* SG_N_VAR: enum sg_var; SG_N_LOCAL: depth */
    char *name;                 /* SG_N_FIELD: the field; SG_F_EFFECTIVE: the field */
    sg_func func;
    sg_macro macro;
    pcre2_code *re;             /* SG_F_MATCHES with a constant pattern */
    sg_node **kids;             /* operands, arguments, list items */
    size_t nkids;
};

struct sg_expr {
    sg_node *root;
    char *text;
};

/* Evaluate a node (rule_eval.c). */
sg_value sg_node_eval(const sg_node *n, sg_rule_ctx *ctx);
/* Compile a regular expression with the engine's limits (rule_eval.c). */
pcre2_code *sg_regex_compile(const char *pattern, size_t len, char *err, size_t errlen);
/* Parse a complete expression into a node tree (rule_compile.c). */
sg_node *sg_rule_parse(const char *text, const json_t *params, const json_t *lets, int depth, char *err,
                       size_t errlen);
void sg_node_free(sg_node *n);
/* Static facts about a node tree (rule_analyze.c). */
unsigned sg_node_reads(const sg_node *n);
const char *sg_node_static_type(const sg_node *n);

#endif
