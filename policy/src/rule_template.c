/*
 * rule_template.c - the two compiled forms built on rule expressions:
 * message templates ("container ${container.name} runs privileged") and fix
 * target paths ("container.securityContext.privileged"). Both reuse the
 * expression parser so there is one grammar to learn and to fuzz.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal_rule_ast.h"

#define MAX_MESSAGE 1024

/* ---------- templates ---------- */

typedef struct segment {
    char *text;        /* literal text, or NULL */
    pol_node *expr;     /* interpolation, or NULL */
} segment;

struct pol_template {
    segment *segs;
    size_t nsegs;
};

static void add_segment(pol_template *t, char *text, pol_node *expr)
{
    segment *grown = sg_realloc(t->segs, (t->nsegs + 1) * sizeof *grown);
    t->segs = grown;
    t->segs[t->nsegs++] = (segment){text, expr};
}

pol_template *pol_template_compile(const char *text, const json_t *params, const json_t *lets, char *err,
                                   size_t errlen)
{
    pol_template *t = sg_calloc(1, sizeof *t);
    const char *p = text;
    while (*p) {
        const char *open = strstr(p, "${");
        if (!open) {
            add_segment(t, sg_strdup(p), NULL);
            break;
        }
        if (open > p)
            add_segment(t, sg_strndup(p, (size_t)(open - p)), NULL);
        const char *close = strchr(open + 2, '}');
        if (!close) {
            snprintf(err, errlen, "column %d: '${' without a closing '}'", (int)(open - text) + 1);
            pol_template_free(t);
            return NULL;
        }
        char *inner = sg_strndup(open + 2, (size_t)(close - open - 2));
        char perr[256];
        pol_node *expr = pol_rule_parse(inner, params, lets, 0, perr, sizeof perr);
        free(inner);
        if (!expr) {
            snprintf(err, errlen, "in ${...} at column %d: %s", (int)(open - text) + 1, perr);
            pol_template_free(t);
            return NULL;
        }
        add_segment(t, NULL, expr);
        p = close + 1;
    }
    return t;
}

void pol_template_free(pol_template *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nsegs; i++) {
        free(t->segs[i].text);
        pol_node_free(t->segs[i].expr);
    }
    free(t->segs);
    free(t);
}

char *pol_template_render(const pol_template *t, pol_rule_ctx *ctx)
{
    char buf[MAX_MESSAGE];
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < t->nsegs; i++) {
        if (t->segs[i].text) {
            pol_value v = {.t = POL_V_STR, .s = t->segs[i].text, .len = strlen(t->segs[i].text)};
            pol_value_format(v, buf, sizeof buf, &used);
        } else {
            pol_value_format(pol_node_eval(t->segs[i].expr, ctx), buf, sizeof buf, &used);
        }
    }
    /* Messages are one line: fold any newline that came from the data. */
    for (char *c = buf; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    return sg_strdup(buf);
}

unsigned pol_template_reads(const pol_template *t)
{
    unsigned reads = 0;
    for (size_t i = 0; t && i < t->nsegs; i++)
        reads |= pol_node_reads(t->segs[i].expr);
    return reads;
}

void pol_template_chains(const pol_template *t, json_t *out)
{
    for (size_t i = 0; t && i < t->nsegs; i++)
        pol_node_chains(t->segs[i].expr, out);
}

/* ---------- paths ---------- */

struct pol_path {
    pol_node *root;     /* a chain of FIELD/INDEX nodes over one VAR */
};

/* A path is var(.field | [expr])*; anything else is not a place to write to. */
static const pol_node *path_base(const pol_node *n)
{
    while (n->type == POL_N_FIELD || n->type == POL_N_INDEX)
        n = n->kids[0];
    return n;
}

pol_path *pol_path_compile(const char *text, const json_t *params, const json_t *lets, char *err,
                           size_t errlen)
{
    pol_node *root = pol_rule_parse(text, params, lets, 0, err, errlen);
    if (!root)
        return NULL;
    const pol_node *base = path_base(root);
    if (base->type != POL_N_VAR || root == base ||
        (base->var != POL_VAR_OBJECT && base->var != POL_VAR_METADATA && base->var != POL_VAR_POD &&
         base->var != POL_VAR_POD_METADATA && base->var != POL_VAR_CONTAINER)) {
        snprintf(err, errlen,
                 "a fix path starts with container, pod, podMetadata, metadata or object and names a field, "
                 "as in container.securityContext.privileged");
        pol_node_free(root);
        return NULL;
    }
    pol_path *p = sg_malloc(sizeof *p);
    p->root = root;
    return p;
}

void pol_path_free(pol_path *p)
{
    if (!p)
        return;
    pol_node_free(p->root);
    free(p);
}

enum pol_var pol_path_root(const pol_path *p)
{
    return (enum pol_var)path_base(p->root)->var;
}

static bool resolve_steps(const pol_node *n, pol_rule_ctx *ctx, json_t *out)
{
    if (n->type == POL_N_VAR)
        return true;
    if (!resolve_steps(n->kids[0], ctx, out))
        return false;
    if (n->type == POL_N_FIELD)
        return json_array_append_new(out, json_string(n->name)) == 0;
    pol_value idx = pol_node_eval(n->kids[1], ctx);
    if (idx.t == POL_V_STR)
        return json_array_append_new(out, json_stringn(idx.s, idx.len)) == 0;
    if (idx.t == POL_V_NUM && idx.n >= 0)
        return json_array_append_new(out, json_integer((json_int_t)idx.n)) == 0;
    return false;
}

json_t *pol_path_resolve(const pol_path *p, pol_rule_ctx *ctx)
{
    json_t *steps = json_array();
    if (!resolve_steps(p->root, ctx, steps)) {
        json_decref(steps);
        return NULL;
    }
    return steps;
}

unsigned pol_path_reads(const pol_path *p)
{
    return p ? pol_node_reads(p->root) : 0;
}
