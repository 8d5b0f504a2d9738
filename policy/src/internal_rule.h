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
#ifndef SG_INTERNAL_RULE_H
#define SG_INTERNAL_RULE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include <scoregate/base.h>

/* Variables an expression can read; bound per evaluation. */
enum sg_var {
    SG_VAR_OBJECT,        /* the whole object */
    SG_VAR_METADATA,      /* object.metadata */
    SG_VAR_POD,           /* the pod spec (workload kinds), else null */
    SG_VAR_POD_METADATA,  /* the pod template's metadata (the object's for a Pod) */
    SG_VAR_CONTAINER,     /* the current container (container scope) */
    SG_VAR_CONTAINER_TYPE,/* "containers" | "initContainers" | "ephemeralContainers" */
    SG_VAR_NAMESPACE,     /* namespace after defaulting */
    SG_VAR_KIND,
    SG_VAR_NAME,
    SG_VAR_COUNT
};

/* A runtime value. Strings and JSON are borrowed from the document, the
 * compiled rule or the evaluation arena; nothing in a value is owned. */
typedef enum sg_vtype { SG_V_NULL, SG_V_BOOL, SG_V_NUM, SG_V_STR, SG_V_JSON } sg_vtype;
typedef struct sg_value {
    sg_vtype t;
    bool b;
    double n;
    const char *s;
    size_t len;
    const json_t *j;      /* SG_V_JSON: an object or array */
} sg_value;

/* Per-evaluation scratch: variable bindings and an arena for values created
 * while evaluating (lowered strings, filtered lists). Reset between objects. */
typedef struct sg_arena_block sg_arena_block;

/* Field lookups memoised per evaluation, keyed by (parent node, field name as
 * compiled): rules read the same paths again and again, and a pointer hash
 * is far cheaper than hashing the key string. Only valid while the object
 * does not change, so it is off unless the caller turns it on. */
#define SG_FIELD_CACHE 256
typedef struct sg_field_slot {
    const json_t *parent;
    const char *name;
    const json_t *value;
} sg_field_slot;

typedef struct sg_rule_ctx {
    const json_t *vars[SG_VAR_COUNT];
    const char *strvars[SG_VAR_COUNT];      /* SG_VAR_CONTAINER_TYPE, NAMESPACE, KIND, NAME */
    sg_value locals[16];                    /* macro-bound variables, by depth */
    sg_arena_block *arena;
    json_t **garbage;                       /* json values created during evaluation */
    size_t ngarbage, capgarbage;
    int steps;                              /* evaluation budget guard */
    bool cut;                               /* a limit (steps, regex) stopped this check: its result is
                                               not to be trusted, callers fail closed; reset per check */
    int regex_cuts;                         /* regex matches stopped at their limits in this whole
                                               evaluation (never reset per check) */
    bool cache_on;                          /* the object is immutable during this evaluation */
    sg_field_slot cache[SG_FIELD_CACHE];
} sg_rule_ctx;

typedef struct sg_expr sg_expr;

/*
 * Compile `text` with `params` (the recommendation's effective parameters,
 * borrowed for the life of the expression) folded in. `lets` (may be NULL) is
 * an object of named sub-expressions (name -> expression text) that the text
 * may refer to by name; they are expanded in place. On error returns NULL and
 * writes "column N: message" into err.
 */
sg_expr *sg_expr_compile(const char *text, const json_t *params, const json_t *lets, char *err,
                         size_t errlen);
void sg_expr_free(sg_expr *e);

/* Evaluate. The result may borrow from ctx's arena: use it before sg_rule_ctx_reset. */
sg_value sg_expr_eval(const sg_expr *e, sg_rule_ctx *ctx);
/* Truthiness: only boolean true is true. */
bool sg_expr_test(const sg_expr *e, sg_rule_ctx *ctx);

/* Convert a value to a new JSON reference (for fixes and messages). */
json_t *sg_value_to_json(sg_value v);
/* Append a value's text form to a growing buffer (for message templates). */
void sg_value_format(sg_value v, char *buf, size_t size, size_t *used);

/* A compiled path target for fixes: a root variable then field/index steps,
 * e.g. container.securityContext.capabilities["add"]. */
typedef struct sg_path sg_path;
sg_path *sg_path_compile(const char *text, const json_t *params, const json_t *lets, char *err,
                         size_t errlen);
void sg_path_free(sg_path *p);
enum sg_var sg_path_root(const sg_path *p);
/* Resolve the steps (indexes may be expressions) to a new JSON array of
 * strings and integers; NULL when a step does not resolve to a key/index. */
json_t *sg_path_resolve(const sg_path *p, sg_rule_ctx *ctx);

/* A message template: text with ${expr} interpolations. */
typedef struct sg_template sg_template;
sg_template *sg_template_compile(const char *text, const json_t *params, const json_t *lets, char *err,
                                 size_t errlen);
void sg_template_free(sg_template *t);
/* Render into a new malloc'd string (caller frees). */
char *sg_template_render(const sg_template *t, sg_rule_ctx *ctx);

/* Static facts for the checks made at load (rule_analyze.c): a bit per
 * variable an expression reads, plus SG_READS_POD_CONTAINERS when it reads
 * pod.containers, pod.initContainers, pod.ephemeralContainers or pod.volumes,
 * and SG_READS_OBJECT_BODY when it reads `object` other than as
 * object.metadata, object.kind or object.apiVersion. */
#define SG_READS_VAR(v) (1u << (v))
#define SG_READS_POD_CONTAINERS (1u << SG_VAR_COUNT)
#define SG_READS_OBJECT_BODY (1u << (SG_VAR_COUNT + 1))
unsigned sg_expr_reads(const sg_expr *e);
unsigned sg_template_reads(const sg_template *t);
unsigned sg_path_reads(const sg_path *p);
/* What an expression always yields: "bool", or a description of another type
 * ("a string", "a number", ...) when it can never be a boolean; NULL when that
 * depends on the object (a field, a let over a field, effective()). */
const char *sg_expr_static_type(const sg_expr *e);

void sg_rule_ctx_init(sg_rule_ctx *ctx);
void sg_rule_ctx_reset(sg_rule_ctx *ctx);   /* frees arena and garbage, keeps bindings */
void sg_rule_ctx_free(sg_rule_ctx *ctx);
/* Allocate `n` bytes from the context's arena (freed at reset). */
void *sg_rule_arena_alloc(sg_rule_ctx *ctx, size_t n);

#endif
