/*
 * internal_rule.h - the rule language inside the policy module.
 *
 * Rules are small CEL-like expressions ("container.securityContext.privileged
 * == true"), compiled once at load into an AST with parameters folded in as
 * constants and regular expressions precompiled, then evaluated against a
 * jansson tree without re-parsing. Evaluation is lenient the way policy
 * languages over optional fields must be: a missing field is null, a type
 * mismatch yields null or false, never an error.
 *
 * See docs/rule-language.md for the user-facing description.
 */
#ifndef POL_INTERNAL_RULE_H
#define POL_INTERNAL_RULE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include <scoregate/base.h>

/* Variables an expression can read; bound per evaluation. */
enum pol_var {
    POL_VAR_OBJECT,        /* the whole object */
    POL_VAR_METADATA,      /* object.metadata */
    POL_VAR_POD,           /* the pod spec (workload kinds), else null */
    POL_VAR_POD_METADATA,  /* the pod template's metadata (the object's for a Pod) */
    POL_VAR_CONTAINER,     /* the current container (container scope) */
    POL_VAR_CONTAINER_TYPE,/* "containers" | "initContainers" | "ephemeralContainers" */
    POL_VAR_NAMESPACE,     /* namespace after defaulting */
    POL_VAR_KIND,
    POL_VAR_NAME,
    POL_VAR_COUNT
};

/* A runtime value. Strings and JSON are borrowed from the document, the
 * compiled rule or the evaluation arena; nothing in a value is owned. */
typedef enum pol_vtype { POL_V_NULL, POL_V_BOOL, POL_V_NUM, POL_V_STR, POL_V_JSON } pol_vtype;
typedef struct pol_value {
    pol_vtype t;
    bool b;
    double n;
    const char *s;
    size_t len;
    const json_t *j;      /* POL_V_JSON: an object or array */
} pol_value;

/* Per-evaluation scratch: variable bindings and an arena for values created
 * while evaluating (lowered strings, filtered lists). Reset between objects. */
typedef struct pol_arena_block pol_arena_block;

/* Field lookups memoised per evaluation, keyed by (parent node, field name as
 * compiled): rules read the same paths again and again, and a pointer hash
 * is far cheaper than hashing the key string. Only valid while the object
 * does not change, so it is off unless the caller turns it on. */
#define POL_FIELD_CACHE 256
typedef struct pol_field_slot {
    const json_t *parent;
    const char *name;
    const json_t *value;
} pol_field_slot;

typedef struct pol_rule_ctx {
    const json_t *vars[POL_VAR_COUNT];
    const char *strvars[POL_VAR_COUNT];      /* POL_VAR_CONTAINER_TYPE, NAMESPACE, KIND, NAME */
    pol_value locals[16];                    /* macro-bound variables, by depth */
    pol_arena_block *arena;
    json_t **garbage;                       /* json values created during evaluation */
    size_t ngarbage, capgarbage;
    int steps;                              /* evaluation budget guard */
    bool cut;                               /* a limit (steps, regex) stopped this check: its result is
                                               not to be trusted, callers fail closed; reset per check */
    int regex_cuts;                         /* regex matches stopped at their limits in this whole
                                               evaluation (never reset per check) */
    bool cache_on;                          /* the object is immutable during this evaluation */
    pol_field_slot cache[POL_FIELD_CACHE];
} pol_rule_ctx;

typedef struct pol_expr pol_expr;

/*
 * Compile `text` with `params` (the recommendation's effective parameters,
 * borrowed for the life of the expression) folded in. `lets` (may be NULL) is
 * an object of named sub-expressions (name -> expression text) that the text
 * may refer to by name; they are expanded in place. On error returns NULL and
 * writes "column N: message" into err.
 */
pol_expr *pol_expr_compile(const char *text, const json_t *params, const json_t *lets, char *err,
                           size_t errlen);
void pol_expr_free(pol_expr *e);

/* Evaluate. The result may borrow from ctx's arena: use it before pol_rule_ctx_reset. */
pol_value pol_expr_eval(const pol_expr *e, pol_rule_ctx *ctx);
/* Truthiness: only boolean true is true. */
bool pol_expr_test(const pol_expr *e, pol_rule_ctx *ctx);

/* Convert a value to a new JSON reference (for fixes and messages). */
json_t *pol_value_to_json(pol_value v);
/* Append a value's text form to a growing buffer (for message templates). */
void pol_value_format(pol_value v, char *buf, size_t size, size_t *used);

/* A compiled path target for fixes: a root variable then field/index steps,
 * e.g. container.securityContext.capabilities["add"]. */
typedef struct pol_path pol_path;
pol_path *pol_path_compile(const char *text, const json_t *params, const json_t *lets, char *err,
                           size_t errlen);
void pol_path_free(pol_path *p);
enum pol_var pol_path_root(const pol_path *p);
/* Resolve the steps (indexes may be expressions) to a new JSON array of
 * strings and integers; NULL when a step does not resolve to a key/index. */
json_t *pol_path_resolve(const pol_path *p, pol_rule_ctx *ctx);

/* A message template: text with ${expr} interpolations. */
typedef struct pol_template pol_template;
pol_template *pol_template_compile(const char *text, const json_t *params, const json_t *lets, char *err,
                                   size_t errlen);
void pol_template_free(pol_template *t);
/* Render into a new malloc'd string (caller frees). */
char *pol_template_render(const pol_template *t, pol_rule_ctx *ctx);

/* Static facts for the checks made at load (rule_analyze.c): a bit per
 * variable an expression reads, plus POL_READS_POD_CONTAINERS when it reads
 * pod.containers, pod.initContainers, pod.ephemeralContainers or pod.volumes,
 * and POL_READS_OBJECT_BODY when it reads `object` other than as
 * object.metadata, object.kind or object.apiVersion. */
#define POL_READS_VAR(v) (1u << (v))
#define POL_READS_POD_CONTAINERS (1u << POL_VAR_COUNT)
#define POL_READS_OBJECT_BODY (1u << (POL_VAR_COUNT + 1))
/* ... and POL_READS_MANAGED_FIELDS when it may see metadata.managedFields
 * (by name, or by taking the object or its metadata whole). */
#define POL_READS_MANAGED_FIELDS (1u << (POL_VAR_COUNT + 2))
unsigned pol_expr_reads(const pol_expr *e);
unsigned pol_template_reads(const pol_template *t);
unsigned pol_path_reads(const pol_path *p);
/* The places an expression or a message may read, appended to `out` as
 * arrays [var, step, ...]: a variable (enum pol_var, a number) then the field
 * names and constant keys after it, as strings; each stands for everything
 * below it (rule_chains.c says how this stays conservative). */
void pol_expr_chains(const pol_expr *e, json_t *out);
void pol_template_chains(const pol_template *t, json_t *out);
/* A set of chains, kept minimal (none lies below another) and also as C
 * arrays for the enforce step's quick comparisons (reach.c). */
typedef struct pol_chain {
    int var;                 /* enum pol_var */
    const char **steps;      /* borrowed from `json` */
    size_t nsteps;
} pol_chain;
typedef struct pol_chains {
    json_t *json;            /* the chains as pol_expr_chains gives them (owned) */
    pol_chain *v;            /* owned, n of them */
    size_t n;
    const char **steps;      /* owned: every chain's steps, one block */
} pol_chains;
/* Minimize `c->json` and build the arrays from it; free both. */
void pol_chains_build(pol_chains *c);
void pol_chains_free(pol_chains *c);
/* What an expression always yields: "bool", or a description of another type
 * ("a string", "a number", ...) when it can never be a boolean; NULL when that
 * depends on the object (a field, a let over a field, effective()). */
const char *pol_expr_static_type(const pol_expr *e);

void pol_rule_ctx_init(pol_rule_ctx *ctx);
void pol_rule_ctx_reset(pol_rule_ctx *ctx);   /* frees arena and garbage, keeps bindings */
void pol_rule_ctx_free(pol_rule_ctx *ctx);
/* Allocate `n` bytes from the context's arena (freed at reset). */
void *pol_rule_arena_alloc(pol_rule_ctx *ctx, size_t n);
/* Keep `j`, a JSON value created during evaluation, alive until reset; returns it. */
const json_t *pol_rule_keep(pol_rule_ctx *ctx, json_t *j);

#endif
